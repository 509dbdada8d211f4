package workflows

import (
	"fmt"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/socialhook/pipeline/contract"
)

const (
	// maxPointsRetained bounds an entity's retained observations (its state, carried over continue-as-new).
	// Observations older than the retained window arrive too late to be placed and are ignored.
	maxPointsRetained = 200
	// signalsPerRun is how many observations one run applies before it continues as new, keeping the event
	// history far below Temporal's limits (each observation adds a signal and one activity).
	signalsPerRun = 500
)

// ProfileEntityWorkflow owns one user's profile: the snapshot at users/<id>/profile.json and the history at
// users/<id>/history/. Its ID is contract.ProfileEntityWorkflowID(user id) and it is started (or signalled) with
// SignalWithStart by every run that observes the user, so observations of one user are applied one at a time
// by one owner: concurrent events never race on the snapshot, and an older observation never overwrites a
// newer one (it is placed in the history where it belongs instead, see timeline.go).
//
// It runs until cancelled, continuing as new every signalsPerRun observations. A new entity (no carried state)
// first loads the stored snapshot, so a restarted entity continues from what is stored.
func ProfileEntityWorkflow(ctx workflow.Context, in contract.ProfileEntityInput) error {
	if in.UserID == "" || len(in.TrackedFields) == 0 {
		return temporal.NewNonRetryableApplicationError("profile entity needs a user id and tracked fields", contract.ErrTypeInvalidInput, nil)
	}
	logger := workflow.GetLogger(ctx)
	st := (*timeline)(in.State)
	if st == nil {
		st = &timeline{}
		var stored *contract.ProfileSnapshot
		if err := storageStep(ctx, in.Revision, a.LoadProfile, in.UserID, &stored); err != nil {
			return fmt.Errorf("load stored profile: %w", err)
		}
		if stored != nil {
			st.seedFromSnapshot(stored, in.TrackedFields)
		}
	}
	if err := workflow.SetQueryHandler(ctx, contract.ProfileStatusQuery, func() (contract.ProfileStatus, error) {
		return contract.ProfileStatus{UserID: in.UserID, Applied: st.Applied, Ignored: st.Ignored, Points: len(st.Points),
			LatestAt: st.latestAt(), TrackedSet: in.TrackedFields}, nil
	}); err != nil {
		return fmt.Errorf("register status query: %w", err)
	}

	observe := func(o contract.Observation) error {
		if o.UserID != in.UserID || o.ID == "" || o.ObservedAt.IsZero() {
			logger.Warn("observation ignored: not for this user or incomplete", "ObservationId", o.ID, "UserId", o.UserID)
			st.Ignored++
			return nil
		}
		eff := st.apply(in.UserID, o, in.TrackedFields, maxPointsRetained)
		if eff.outcome != applyApplied {
			logger.Info("observation ignored", "ObservationId", o.ID, "outcome", eff.outcome)
			return nil
		}
		if eff.snapshot != nil || len(eff.upserts) > 0 || len(eff.deletes) > 0 {
			write := contract.WriteProfileInput{UserID: in.UserID, Snapshot: eff.snapshot, Upserts: eff.upserts, Deletes: eff.deletes}
			if err := storageStep(ctx, in.Revision, a.WriteProfile, write, nil); err != nil {
				return fmt.Errorf("write profile of %s: %w", in.UserID, err)
			}
		}
		// Counted once stored, so a status query that reports n applied means their effects are readable.
		st.Applied++
		return nil
	}

	signals := workflow.GetSignalChannel(ctx, contract.ObserveSignal)
	for received := 0; ; received++ {
		if received >= signalsPerRun || workflow.GetInfo(ctx).GetContinueAsNewSuggested() {
			// Apply what is already buffered, so no signal is left behind, then start afresh with the state.
			for {
				var o contract.Observation
				if !signals.ReceiveAsync(&o) {
					break
				}
				if err := observe(o); err != nil {
					return err
				}
			}
			return workflow.NewContinueAsNewError(ctx, contract.ProfileEntityWorkflowName,
				contract.ProfileEntityInput{UserID: in.UserID, TrackedFields: in.TrackedFields, State: (*contract.ProfileState)(st), Revision: contract.CurrentRevision})
		}
		var o contract.Observation
		cancelled := false
		sel := workflow.NewSelector(ctx)
		sel.AddReceive(signals, func(c workflow.ReceiveChannel, _ bool) { c.Receive(ctx, &o) })
		sel.AddReceive(ctx.Done(), func(workflow.ReceiveChannel, bool) { cancelled = true })
		sel.Select(ctx)
		if cancelled {
			return temporal.NewCanceledError("profile entity cancelled")
		}
		if err := observe(o); err != nil {
			return err
		}
	}
}
