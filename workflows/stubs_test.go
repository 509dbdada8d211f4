package workflows_test

import "github.com/socialhook/pipeline/activities"

// a names activities for env.OnActivity, so a mock's arguments and results are checked against the activity's
// signature; it is never dereferenced.
var a *activities.Activities
