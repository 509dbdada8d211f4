package workflows

import (
	"fmt"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/socialhook/pipeline/contract"
)

// storageStep runs one short, idempotent MinIO step (archive, store, manifest, profile write, hand-off to the
// profile entities) and decodes its result into out.
//
// It runs first as a local activity: inside the workflow task, with no activity task and no extra history
// events, which is what lets one event complete in a single workflow task (BENCHMARKS.md). The local attempt is
// bounded by localStorageOptions. If it still fails — storage is down, or slow — the step runs again as a
// regular activity under storageOptions, which waits out the outage with unlimited attempts and shows the
// pending step and its last failure in the Temporal UI. Every step is idempotent (deterministic keys,
// observation IDs), so running it twice is harmless.
//
// Runs of an earlier revision (contract.RevisionActivities) run the step as a regular activity only, as they did.
func storageStep(ctx workflow.Context, revision int, activity, in, out any) error {
	if revision < contract.RevisionLocalStorage {
		return workflow.ExecuteActivity(workflow.WithActivityOptions(ctx, storageOptions), activity, in).Get(ctx, out)
	}
	err := workflow.ExecuteLocalActivity(workflow.WithLocalActivityOptions(ctx, localStorageOptions), activity, in).Get(ctx, out)
	if err == nil || temporal.IsCanceledError(err) || errorType(err) == contract.ErrTypeInvalidInput {
		return err
	}
	workflow.GetLogger(ctx).Warn("storage step failed locally, continuing as a regular activity",
		"Error", err)
	return workflow.ExecuteActivity(workflow.WithActivityOptions(ctx, storageOptions), activity, in).Get(ctx, out)
}

// archiveThenStore runs the first two steps of an event workflow: archive the raw event (its key into rawKey),
// then the kind's store step (store with storeIn, its result into stored).
func archiveThenStore(ctx workflow.Context, revision int, raw contract.RawEvent, rawKey *string, store, storeIn, stored any) error {
	wfID := workflow.GetInfo(ctx).WorkflowExecution.ID
	if err := storageStep(ctx, revision, a.ArchiveRaw, contract.ArchiveRawInput{WorkflowID: wfID, Event: raw}, rawKey); err != nil {
		return fmt.Errorf("archive raw event: %w", err)
	}
	if err := storageStep(ctx, revision, store, storeIn, stored); err != nil {
		return fmt.Errorf("store event: %w", err)
	}
	return nil
}
