// Package workflows owns the pipeline's Temporal workflows: the job, monitor-event, profile-entity, X-event,
// archive and poller workflows, the profile timeline and diff, and their retry policies. Their names, IDs and
// payloads are in package contract; they call their activities by method reference on *activities.Activities,
// under the names Register gives them.
package workflows

import "github.com/socialhook/pipeline/activities"

// a names the activities for ExecuteActivity and ExecuteLocalActivity. It is never dereferenced: the SDK takes the
// method's name and runs the function the worker registered under it (activities.Activities.Register), so the
// arguments are checked at compile time and the registered names stay those of package contract.
var a *activities.Activities
