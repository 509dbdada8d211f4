package workflows_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/activity"

	"github.com/socialhook/pipeline/contract"
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
			env.RegisterActivityWithOptions(func(context.Context, contract.StoreXEventInput) (contract.StoredXEvent, error) {
				return contract.StoredXEvent{}, nil
			}, activity.RegisterOptions{Name: contract.StoreXEventActivityName})
			env.RegisterActivityWithOptions(func(context.Context, contract.XDeliveries) (string, error) { return "", nil },
				activity.RegisterOptions{Name: contract.WriteXDeliveriesActivityName})
			env.OnActivity(a.ArchiveRaw, mock.Anything, mock.Anything).Return("raw/x.json", nil).Once()
			env.OnActivity(a.StoreXEvent, mock.Anything, mock.Anything).Return(contract.StoredXEvent{}, nil).Once()
			var recorded *contract.XDeliveries
			env.OnActivity(a.WriteXDeliveries, mock.Anything, mock.Anything).Return(
				func(_ context.Context, d contract.XDeliveries) (string, error) {
					recorded = &d
					return "x/deliveries/k.json", nil
				}).Maybe()
			for i, id := range tt.signals {
				env.RegisterDelayedCallback(func() { env.SignalWorkflow(contract.DeliveredSignal, id) }, time.Duration(i+1)*time.Second)
			}
			env.ExecuteWorkflow(contract.XEventWorkflowName, contract.XEventInput{
				API: "aaa", Kind: "dm", EventType: "dm", ForUserID: tt.forUser, DeliveryWindow: tt.window,
				Raw:      contract.RawEvent{Source: "x", EventType: "dm", ReceivedAt: time.Unix(0, 0).UTC(), Body: []byte(`{}`)},
				Revision: contract.CurrentRevision,
			})
			require.True(t, env.IsWorkflowCompleted())
			require.NoError(t, env.GetWorkflowError())
			var res contract.XEventResult
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
