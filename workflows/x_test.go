package workflows_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/activity"

	"github.com/socialhook/pipeline/workflows"
)

func TestXEventWorkflowRecordsEveryRecipient(t *testing.T) {
	tests := []struct {
		name       string
		window     time.Duration
		forUser    string
		signals    []string
		wantRecipt []string
	}{
		{"deliveries within the window are recorded once each", time.Minute, "3001", []string{"4001", "3001", "4001"}, []string{"3001", "4001"}},
		{"no window: only the first recipient", 0, "3001", nil, []string{"3001"}},
		{"no for_user_id: no record", time.Minute, "", nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := newEnv(t)
			registerProfileActivities(env)
			env.RegisterActivityWithOptions(func(context.Context, workflows.StoreXEventInput) (workflows.StoredXEvent, error) {
				return workflows.StoredXEvent{}, nil
			}, activity.RegisterOptions{Name: workflows.StoreXEventActivityName})
			env.RegisterActivityWithOptions(func(context.Context, workflows.XDeliveries) (string, error) { return "", nil },
				activity.RegisterOptions{Name: workflows.WriteXDeliveriesActivityName})
			env.OnActivity(workflows.ArchiveRawActivityName, mock.Anything, mock.Anything).Return("raw/x.json", nil).Once()
			env.OnActivity(workflows.StoreXEventActivityName, mock.Anything, mock.Anything).Return(workflows.StoredXEvent{}, nil).Once()
			var recorded *workflows.XDeliveries
			env.OnActivity(workflows.WriteXDeliveriesActivityName, mock.Anything, mock.Anything).Return(
				func(_ context.Context, d workflows.XDeliveries) (string, error) {
					recorded = &d
					return "x/deliveries/k.json", nil
				}).Maybe()
			for i, id := range tt.signals {
				env.RegisterDelayedCallback(func() { env.SignalWorkflow(workflows.DeliveredSignal, id) }, time.Duration(i+1)*time.Second)
			}
			env.ExecuteWorkflow(workflows.XEventWorkflowName, workflows.XEventInput{
				API: "aaa", Kind: "dm", EventType: "dm", ForUserID: tt.forUser, DeliveryWindow: tt.window,
				Raw:      workflows.RawEvent{Source: "x", EventType: "dm", ReceivedAt: time.Unix(0, 0).UTC(), Body: []byte(`{}`)},
				Revision: workflows.CurrentRevision,
			})
			require.True(t, env.IsWorkflowCompleted())
			require.NoError(t, env.GetWorkflowError())
			var res workflows.XEventResult
			require.NoError(t, env.GetWorkflowResult(&res))
			require.Equal(t, tt.wantRecipt, res.Recipients)
			if tt.wantRecipt == nil {
				require.Nil(t, recorded)
				return
			}
			require.Equal(t, tt.wantRecipt, recorded.ForUserIDs)
		})
	}
}
