package workflows_test

import (
	"github.com/socialhook/pipeline/activities"
	"github.com/socialhook/pipeline/contract"
)

// a names activities for env.OnActivity, so a mock's arguments and results are checked against the activity's
// signature; it is never dereferenced.
var a *activities.Activities

// testTracked are the profile fields the tests track: the monitor's fields plus verified and protected, as
// PROFILE_TRACKED_FIELDS's default (internal/config).
var testTracked = append(append([]string{}, contract.MonitorProfileFields...), "verified", "protected")
