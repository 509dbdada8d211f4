package devstack

import (
	"context"
	"fmt"
	"time"

	"go.temporal.io/api/namespace/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"google.golang.org/protobuf/types/known/durationpb"
)

// UpdateRetention sets namespace's workflow execution retention, unless it already has it.
func UpdateRetention(ctx context.Context, nc client.NamespaceClient, ns string, retention time.Duration) error {
	desc, err := nc.Describe(ctx, ns)
	if err != nil {
		return fmt.Errorf("describe namespace %s: %w", ns, err)
	}
	if desc.GetConfig().GetWorkflowExecutionRetentionTtl().AsDuration() == retention {
		return nil
	}
	if err := nc.Update(ctx, &workflowservice.UpdateNamespaceRequest{
		Namespace: ns,
		Config:    &namespace.NamespaceConfig{WorkflowExecutionRetentionTtl: durationpb.New(retention)},
	}); err != nil {
		return fmt.Errorf("set retention of namespace %s: %w", ns, err)
	}
	return nil
}
