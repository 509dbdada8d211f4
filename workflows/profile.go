package workflows

import (
	"fmt"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"
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
// users/<id>/history/. Its ID is ProfileEntityWorkflowID(user id) and it is started (or signalled) with
// SignalWithStart by every run that observes the user, so observations of one user are applied one at a time
// by one owner: concurrent events never race on the snapshot, and an older observation never overwrites a
// newer one (it is placed in the history where it belongs instead, see timeline.go).
//
// It runs until cancelled, continuing as new every signalsPerRun observations. A new entity (no carried state)
// first loads the stored snapshot, so a restarted entity continues from what is stored.
func ProfileEntityWorkflow(ctx workflow.Context, in ProfileEntityInput) error {
	if in.UserID == "" || len(in.TrackedFields) == 0 {
		return temporal.NewNonRetryableApplicationError("profile entity needs a user id and tracked fields", ErrTypeInvalidInput, nil)
	}
	logger := workflow.GetLogger(ctx)
	st := in.State
	if st == nil {
		st = &ProfileState{}
		var stored *ProfileSnapshot
		if err := storageStep(ctx, in.Revision, LoadProfileActivityName, in.UserID, &stored); err != nil {
			return fmt.Errorf("load stored profile: %w", err)
		}
		if stored != nil {
			st.seedFromSnapshot(stored, in.TrackedFields)
		}
	}
	if err := workflow.SetQueryHandler(ctx, ProfileStatusQuery, func() (ProfileStatus, error) {
		return ProfileStatus{UserID: in.UserID, Applied: st.Applied, Ignored: st.Ignored, Points: len(st.Points),
			LatestAt: st.latestAt(), TrackedSet: in.TrackedFields}, nil
	}); err != nil {
		return fmt.Errorf("register status query: %w", err)
	}

	observe := func(o Observation) error {
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
			write := WriteProfileInput{UserID: in.UserID, Snapshot: eff.snapshot, Upserts: eff.upserts, Deletes: eff.deletes}
			if err := storageStep(ctx, in.Revision, WriteProfileActivityName, write, nil); err != nil {
				return fmt.Errorf("write profile of %s: %w", in.UserID, err)
			}
		}
		// Counted once stored, so a status query that reports n applied means their effects are readable.
		st.Applied++
		return nil
	}

	signals := workflow.GetSignalChannel(ctx, ObserveSignal)
	for received := 0; ; received++ {
		if received >= signalsPerRun || workflow.GetInfo(ctx).GetContinueAsNewSuggested() {
			// Apply what is already buffered, so no signal is left behind, then start afresh with the state.
			for {
				var o Observation
				if !signals.ReceiveAsync(&o) {
					break
				}
				if err := observe(o); err != nil {
					return err
				}
			}
			return workflow.NewContinueAsNewError(ctx, ProfileEntityWorkflowName,
				ProfileEntityInput{UserID: in.UserID, TrackedFields: in.TrackedFields, State: st, Revision: CurrentRevision})
		}
		var o Observation
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

// ObservationFor builds the observation of a user object seen by event run workflowID at receivedAt.
func ObservationFor(workflowID, eventType, userID string, user []byte, receivedAt time.Time, reported map[string]Change) Observation {
	return Observation{
		ID:         ObservationID(workflowID, userID),
		UserID:     userID,
		ObservedAt: receivedAt.UTC(),
		Source:     ObservationSource{EventType: eventType, WorkflowID: workflowID},
		User:       user,
		Reported:   reported,
	}
}
