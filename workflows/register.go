package workflows

import (
	"go.temporal.io/sdk/workflow"

	"github.com/socialhook/pipeline/contract"
)

// Register registers every workflow on r under its contract name.
func Register(r interface {
	RegisterWorkflowWithOptions(any, workflow.RegisterOptions)
}) {
	r.RegisterWorkflowWithOptions(JobWorkflow, workflow.RegisterOptions{Name: contract.JobWorkflowName})
	r.RegisterWorkflowWithOptions(ArchiveEventWorkflow, workflow.RegisterOptions{Name: contract.ArchiveEventWorkflowName})
	r.RegisterWorkflowWithOptions(MonitorEventWorkflow, workflow.RegisterOptions{Name: contract.MonitorEventWorkflowName})
	r.RegisterWorkflowWithOptions(ProfileEntityWorkflow, workflow.RegisterOptions{Name: contract.ProfileEntityWorkflowName})
	r.RegisterWorkflowWithOptions(XEventWorkflow, workflow.RegisterOptions{Name: contract.XEventWorkflowName})
	r.RegisterWorkflowWithOptions(PollerWorkflow, workflow.RegisterOptions{Name: contract.PollerWorkflowName})
}
