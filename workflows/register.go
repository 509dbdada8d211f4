package workflows

import "go.temporal.io/sdk/workflow"

// Register registers every workflow on r under its contract name.
func Register(r interface {
	RegisterWorkflowWithOptions(any, workflow.RegisterOptions)
}) {
	r.RegisterWorkflowWithOptions(JobWorkflow, workflow.RegisterOptions{Name: JobWorkflowName})
	r.RegisterWorkflowWithOptions(ArchiveEventWorkflow, workflow.RegisterOptions{Name: ArchiveEventWorkflowName})
	r.RegisterWorkflowWithOptions(MonitorEventWorkflow, workflow.RegisterOptions{Name: MonitorEventWorkflowName})
	r.RegisterWorkflowWithOptions(ProfileEntityWorkflow, workflow.RegisterOptions{Name: ProfileEntityWorkflowName})
	r.RegisterWorkflowWithOptions(XEventWorkflow, workflow.RegisterOptions{Name: XEventWorkflowName})
	r.RegisterWorkflowWithOptions(PollerWorkflow, workflow.RegisterOptions{Name: PollerWorkflowName})
}
