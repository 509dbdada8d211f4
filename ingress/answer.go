package ingress

import "github.com/socialhook/pipeline/internal/starts"

// Answer is the JSON body of every webhook and job-registration answer: the overall Status (accepted,
// duplicate, spooled) and the first WorkflowID, every start of an X delivery in Workflows, or Error on a 4xx or
// 5xx. Clients and the tests decode answers as this type.
type Answer struct {
	Status     string           `json:"status,omitempty"`
	WorkflowID string           `json:"workflow_id,omitempty"`
	Workflows  []starts.Outcome `json:"workflows,omitempty"`
	Error      string           `json:"error,omitempty"`
}
