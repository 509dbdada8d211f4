package worker

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"go.temporal.io/api/enums/v1"
	"go.temporal.io/api/operatorservice/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/socialhook/pipeline/contract"
	"github.com/socialhook/pipeline/internal/config"
)

// ErrSearchAttributesMissing is returned by CheckSearchAttributes when the namespace lacks some of the contract's
// search attributes; the error names them and the commands that create them.
var ErrSearchAttributesMissing = errors.New("search attributes missing")

// ErrSearchAttributeType is returned when the namespace has one of the contract's search attributes with
// another type: every start that sets it would fail, and registration cannot change a type.
var ErrSearchAttributeType = errors.New("search attribute has another type")

// PrepareSearchAttributes makes the contract's search attributes usable on cfg's namespace before the worker
// reports ready: EnsureSearchAttributes with REGISTER_SEARCH_ATTRIBUTES (the default), CheckSearchAttributes
// without.
func PrepareSearchAttributes(ctx context.Context, c client.Client, cfg config.Config) error {
	if cfg.RegisterSearchAttributes {
		return EnsureSearchAttributes(ctx, c, cfg.TemporalNamespace)
	}
	return CheckSearchAttributes(ctx, c, cfg.TemporalNamespace)
}

// EnsureSearchAttributes registers on namespace every custom search attribute in the contract that is not
// there yet, then waits until the server accepts them (WaitSearchAttributes, which probes c's own namespace: c
// must be a client of namespace). It is idempotent, so every worker runs it at start: the dev server, the compose
// stack and the test harness all get the same attributes without a separate setup step.
func EnsureSearchAttributes(ctx context.Context, c client.Client, namespace string) error {
	missing, err := missingSearchAttributes(ctx, c, namespace)
	if err != nil {
		return err
	}
	if len(missing) > 0 {
		add := make(map[string]enums.IndexedValueType, len(missing))
		for _, key := range missing {
			add[key.GetName()] = key.GetValueType()
		}
		if _, err := c.OperatorService().AddSearchAttributes(ctx, &operatorservice.AddSearchAttributesRequest{
			Namespace:        namespace,
			SearchAttributes: add,
		}); err != nil {
			// Another worker starting at the same time may have added them first, and the server refuses the
			// race: then they are there now.
			if still, lerr := missingSearchAttributes(ctx, c, namespace); lerr != nil || len(still) > 0 {
				return fmt.Errorf("add search attributes %s on namespace %s: %w", names(missing), namespace, err)
			}
		}
	}
	return WaitSearchAttributes(ctx, c)
}

// CheckSearchAttributes is EnsureSearchAttributes for a namespace whose operators own its search attributes
// (REGISTER_SEARCH_ATTRIBUTES=false): it adds none, and fails with ErrSearchAttributesMissing, naming the
// missing ones and the commands that create them (CreateSearchAttributesCommands), when the namespace lacks
// any. Then it waits like EnsureSearchAttributes.
func CheckSearchAttributes(ctx context.Context, c client.Client, namespace string) error {
	missing, err := missingSearchAttributes(ctx, c, namespace)
	if err != nil {
		return err
	}
	if len(missing) > 0 {
		cli, tctl := CreateSearchAttributesCommands(namespace, missing)
		return fmt.Errorf("%w on namespace %s: %s (REGISTER_SEARCH_ATTRIBUTES=false, so the worker does not add "+
			"them); create them with the Temporal CLI connected to the cluster:\n  %s\nor with tctl:\n  %s",
			ErrSearchAttributesMissing, namespace, names(missing), cli, tctl)
	}
	return WaitSearchAttributes(ctx, c)
}

// CreateSearchAttributesCommands returns the commands that create keys on namespace: with the Temporal CLI, and
// with the deprecated tctl. Each is one command with a --name/--type pair per attribute.
func CreateSearchAttributesCommands(namespace string, keys []temporal.SearchAttributeKey) (cli, tctl string) {
	var pairs strings.Builder
	for _, key := range keys {
		fmt.Fprintf(&pairs, " --name %s --type %s", key.GetName(), key.GetValueType())
	}
	return "temporal operator search-attribute create --namespace " + namespace + pairs.String(),
		"tctl --namespace " + namespace + " admin cluster add-search-attributes" + pairs.String()
}

// missingSearchAttributes returns the contract's search attributes that namespace lacks, in contract order. One
// that exists with another type is an error (ErrSearchAttributeType).
func missingSearchAttributes(ctx context.Context, c client.Client, namespace string) ([]temporal.SearchAttributeKey, error) {
	resp, err := c.OperatorService().ListSearchAttributes(ctx, &operatorservice.ListSearchAttributesRequest{Namespace: namespace})
	if err != nil {
		return nil, fmt.Errorf("list search attributes of namespace %s: %w", namespace, err)
	}
	var missing []temporal.SearchAttributeKey
	var errs []error
	for _, key := range contract.SearchAttributeKeys() {
		got, ok := resp.GetCustomAttributes()[key.GetName()]
		switch {
		case !ok:
			missing = append(missing, key)
		case got != key.GetValueType():
			errs = append(errs, fmt.Errorf("%w: %s is %s on namespace %s, the pipeline sets it as %s",
				ErrSearchAttributeType, key.GetName(), got, namespace, key.GetValueType()))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return missing, nil
}

func names(keys []temporal.SearchAttributeKey) string {
	out := make([]string, len(keys))
	for i, key := range keys {
		out[i] = key.GetName()
	}
	return strings.Join(out, ", ")
}

// Pace of WaitSearchAttributes: a probe every probeInterval, for at most probeTimeout; probeRunTimeout bounds a
// probe run that could not be terminated.
const (
	probeInterval   = 200 * time.Millisecond
	probeTimeout    = 2 * time.Minute
	probeRunTimeout = time.Minute
)

// probeTerminateReason is the termination reason of every probe run, as the Temporal UI shows it.
const probeTerminateReason = "search attribute probe: the search attributes are usable"

// WaitSearchAttributes returns once the server accepts a start that sets every search attribute of the
// contract.
//
// A custom search attribute is unusable for a moment after AddSearchAttributes returns: each frontend and
// history host maps a namespace's attributes to visibility fields from its namespace cache, which refreshes
// every system.namespaceCacheRefreshInterval (2 s). Until then a start that sets the attribute fails with
// InvalidArgument "Namespace default has no mapping defined for search attribute Source", which the ingress
// would have to spool. The dev server hides that window (system.forceSearchAttributesCacheRefreshOnRead reads
// the mapping from the database on every request); a real cluster does not, and another worker may just have
// added the attributes, so every start probes.
//
// The probe is a real start: a run of SearchAttributeProbeWorkflowName, on a task queue nothing polls, setting
// every attribute, terminated at once. While the server refuses it with an InvalidArgument about a search
// attribute the probe is repeated every probeInterval, for at most probeTimeout; any other error is returned at
// once.
func WaitSearchAttributes(ctx context.Context, c client.Client) error {
	attrs, err := probeAttributes(contract.SearchAttributeKeys())
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, probeTimeout)
	defer cancel()
	for {
		err := probeSearchAttributes(ctx, c, attrs)
		if err == nil {
			return nil
		}
		if !searchAttributeNotReady(err) {
			return fmt.Errorf("probe search attributes: %w", err)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("search attributes %s still unusable: %w (last probe: %w)",
				names(contract.SearchAttributeKeys()), context.Cause(ctx), err)
		case <-time.After(probeInterval):
		}
	}
}

// probeSearchAttributes starts one probe run with attrs and terminates it.
func probeSearchAttributes(ctx context.Context, c client.Client, attrs temporal.SearchAttributes) error {
	run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID:                       probeWorkflowID(),
		TaskQueue:                contract.SearchAttributeProbeTaskQueue,
		WorkflowExecutionTimeout: probeRunTimeout,
		TypedSearchAttributes:    attrs,
		StaticSummary:            "A worker checking at start that the pipeline's search attributes are usable; terminated at once.",
	}, contract.SearchAttributeProbeWorkflowName)
	if err != nil {
		return err
	}
	// The start succeeded, so the attributes work: the run only has to go, even if ctx ends now.
	tctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if err := c.TerminateWorkflow(tctx, run.GetID(), run.GetRunID(), probeTerminateReason); err != nil {
		var notFound *serviceerror.NotFound
		if errors.As(err, &notFound) {
			return nil
		}
		return fmt.Errorf("terminate probe run %s: %w", run.GetID(), err)
	}
	return nil
}

// searchAttributeNotReady reports whether err is the server refusing a search attribute it does not know yet.
func searchAttributeNotReady(err error) bool {
	var invalid *serviceerror.InvalidArgument
	return errors.As(err, &invalid) && strings.Contains(strings.ToLower(invalid.Message), "search attribute")
}

// probeWorkflowID is SearchAttributeProbeWorkflowIDPrefix and 16 random hex characters: workers starting together
// never share a probe.
func probeWorkflowID() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return contract.SearchAttributeProbeWorkflowIDPrefix + "-" + hex.EncodeToString(b[:])
}

// probeAttributes gives every key a value of its type.
func probeAttributes(keys []temporal.SearchAttributeKey) (temporal.SearchAttributes, error) {
	updates := make([]temporal.SearchAttributeUpdate, 0, len(keys))
	for _, key := range keys {
		switch k := key.(type) {
		case temporal.SearchAttributeKeyKeyword:
			updates = append(updates, k.ValueSet(contract.SearchAttributeProbeValue))
		case temporal.SearchAttributeKeyString:
			updates = append(updates, k.ValueSet(contract.SearchAttributeProbeValue))
		case temporal.SearchAttributeKeyKeywordList:
			updates = append(updates, k.ValueSet([]string{contract.SearchAttributeProbeValue}))
		case temporal.SearchAttributeKeyInt64:
			updates = append(updates, k.ValueSet(0))
		case temporal.SearchAttributeKeyFloat64:
			updates = append(updates, k.ValueSet(0))
		case temporal.SearchAttributeKeyBool:
			updates = append(updates, k.ValueSet(false))
		case temporal.SearchAttributeKeyTime:
			updates = append(updates, k.ValueSet(time.Unix(0, 0).UTC()))
		default:
			return temporal.SearchAttributes{}, fmt.Errorf("probe search attribute %s: unsupported key type %T", key.GetName(), key)
		}
	}
	return temporal.NewSearchAttributes(updates...), nil
}
