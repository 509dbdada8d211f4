package worker_test

import (
	"context"
	"errors"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/api/enums/v1"
	"go.temporal.io/api/operatorservice/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/mocks"
	"go.temporal.io/sdk/temporal"
	"google.golang.org/grpc"

	"github.com/socialhook/pipeline/contract"
	"github.com/socialhook/pipeline/internal/config"
	"github.com/socialhook/pipeline/worker"
)

// These tests drive the search attribute setup over the SDK's mocks.Client and a fake operator service: what
// the worker asks of Temporal at start, and when it gives up.

// operator is an OperatorService whose namespace holds attrs; AddSearchAttributes adds to them (or fails with
// addErr) and is recorded.
type operator struct {
	operatorservice.OperatorServiceClient // nil: any other call panics
	mu                                    sync.Mutex
	attrs                                 map[string]enums.IndexedValueType
	addErr                                error
	added                                 []map[string]enums.IndexedValueType
}

func (o *operator) ListSearchAttributes(_ context.Context, req *operatorservice.ListSearchAttributesRequest, _ ...grpc.CallOption) (*operatorservice.ListSearchAttributesResponse, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if req.GetNamespace() != "default" {
		return nil, serviceerror.NewNamespaceNotFound(req.GetNamespace())
	}
	attrs := make(map[string]enums.IndexedValueType, len(o.attrs))
	for k, v := range o.attrs {
		attrs[k] = v
	}
	return &operatorservice.ListSearchAttributesResponse{CustomAttributes: attrs}, nil
}

func (o *operator) AddSearchAttributes(_ context.Context, req *operatorservice.AddSearchAttributesRequest, _ ...grpc.CallOption) (*operatorservice.AddSearchAttributesResponse, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.added = append(o.added, req.GetSearchAttributes())
	if o.addErr != nil {
		return nil, o.addErr
	}
	if o.attrs == nil {
		o.attrs = map[string]enums.IndexedValueType{}
	}
	for k, v := range req.GetSearchAttributes() {
		o.attrs[k] = v
	}
	return &operatorservice.AddSearchAttributesResponse{}, nil
}

// contractAttrs is the namespace with every search attribute of the contract.
func contractAttrs() map[string]enums.IndexedValueType {
	attrs := map[string]enums.IndexedValueType{}
	for _, key := range contract.SearchAttributeKeys() {
		attrs[key.GetName()] = key.GetValueType()
	}
	return attrs
}

// noMapping is what a real server answers a start in the moment after AddSearchAttributes.
var noMapping = serviceerror.NewInvalidArgument("Namespace default has no mapping defined for search attribute Source")

// probes is a mocks.Client whose probe starts answer errs in turn, then succeed; it records the starts and
// the terminations.
type probes struct {
	client     *mocks.Client
	mu         sync.Mutex
	starts     []client.StartWorkflowOptions
	terminated []string
}

func newProbes(t *testing.T, op *operator, errs ...error) *probes {
	t.Helper()
	p := &probes{client: &mocks.Client{}}
	p.client.Test(t)
	p.client.On("OperatorService").Return(op)
	record := func(args mock.Arguments) {
		p.mu.Lock()
		defer p.mu.Unlock()
		p.starts = append(p.starts, args.Get(1).(client.StartWorkflowOptions))
	}
	for _, err := range errs {
		p.client.On("ExecuteWorkflow", mock.Anything, mock.Anything, contract.SearchAttributeProbeWorkflowName).
			Run(record).Return(nil, err).Once()
	}
	run := &mocks.WorkflowRun{}
	run.On("GetID").Return(func() string {
		p.mu.Lock()
		defer p.mu.Unlock()
		return p.starts[len(p.starts)-1].ID
	})
	run.On("GetRunID").Return("probe-run")
	p.client.On("ExecuteWorkflow", mock.Anything, mock.Anything, contract.SearchAttributeProbeWorkflowName).
		Run(record).Return(run, nil).Maybe()
	p.client.On("TerminateWorkflow", mock.Anything, mock.Anything, "probe-run", mock.Anything).Run(func(args mock.Arguments) {
		p.mu.Lock()
		defer p.mu.Unlock()
		p.terminated = append(p.terminated, args.String(1))
		require.NotEmpty(t, args.String(3), "a probe is terminated with a reason")
	}).Return(nil).Maybe()
	return p
}

// requireProbe checks that every start was a probe setting every contract attribute, on the task queue nothing
// polls, under a fresh ID.
func (p *probes) requireProbe(t *testing.T, wantStarts int) {
	t.Helper()
	p.mu.Lock()
	defer p.mu.Unlock()
	require.Len(t, p.starts, wantStarts)
	ids := map[string]bool{}
	for _, o := range p.starts {
		require.True(t, strings.HasPrefix(o.ID, contract.SearchAttributeProbeWorkflowIDPrefix+"-"), o.ID)
		require.False(t, ids[o.ID], "probe ID %s reused", o.ID)
		ids[o.ID] = true
		require.Equal(t, contract.SearchAttributeProbeTaskQueue, o.TaskQueue)
		require.Positive(t, o.WorkflowExecutionTimeout, "a probe that escapes termination still ends")
		for _, key := range contract.SearchAttributeKeys() {
			require.True(t, o.TypedSearchAttributes.ContainsKey(key), "the probe sets %s", key.GetName())
		}
	}
}

func TestEnsureSearchAttributesWaitsUntilUsable(t *testing.T) {
	op := &operator{}
	p := newProbes(t, op, noMapping, noMapping)
	start := time.Now()
	require.NoError(t, worker.EnsureSearchAttributes(t.Context(), p.client, "default"))

	require.Equal(t, []map[string]enums.IndexedValueType{contractAttrs()}, op.added, "one AddSearchAttributes with every attribute")
	p.requireProbe(t, 3)
	require.GreaterOrEqual(t, time.Since(start), 2*200*time.Millisecond, "a refused probe is retried after a pause")
	require.Equal(t, []string{p.starts[2].ID}, p.terminated, "the run that started is terminated at once")
}

func TestWaitSearchAttributesReturnsOtherErrorsAtOnce(t *testing.T) {
	tests := []struct {
		name string
		err  error
	}{
		{"permission denied", serviceerror.NewPermissionDenied("no start for you", "")},
		{"unavailable", serviceerror.NewUnavailable("frontend down")},
		{"invalid argument about something else", serviceerror.NewInvalidArgument("WorkflowId is not set on request.")},
		{"plain error", errors.New("boom")},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := newProbes(t, &operator{attrs: contractAttrs()}, tc.err)
			err := worker.WaitSearchAttributes(t.Context(), p.client)
			require.ErrorIs(t, err, tc.err)
			p.requireProbe(t, 1)
			require.Empty(t, p.terminated)
		})
	}
}

func TestWaitSearchAttributesGivesUpWithTheContext(t *testing.T) {
	errs := make([]error, 50)
	for i := range errs {
		errs[i] = noMapping
	}
	p := newProbes(t, &operator{attrs: contractAttrs()}, errs...)
	ctx, cancel := context.WithTimeout(t.Context(), 500*time.Millisecond)
	defer cancel()
	err := worker.WaitSearchAttributes(ctx, p.client)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	require.ErrorIs(t, err, noMapping, "the last refusal is in the error")
	require.ErrorContains(t, err, "still unusable")
	require.Empty(t, p.terminated)
}

func TestWaitSearchAttributesProbeAlreadyGone(t *testing.T) {
	c := &mocks.Client{}
	c.Test(t)
	run := &mocks.WorkflowRun{}
	run.On("GetID").Return(contract.SearchAttributeProbeWorkflowIDPrefix + "-x")
	run.On("GetRunID").Return("r")
	c.On("ExecuteWorkflow", mock.Anything, mock.Anything, contract.SearchAttributeProbeWorkflowName).Return(run, nil).Once()
	c.On("TerminateWorkflow", mock.Anything, mock.Anything, "r", mock.Anything).
		Return(serviceerror.NewNotFound("workflow execution already completed")).Once()
	require.NoError(t, worker.WaitSearchAttributes(t.Context(), c))
	c.AssertExpectations(t)
}

func TestPrepareSearchAttributes(t *testing.T) {
	cli, tctl := worker.CreateSearchAttributesCommands("default", []temporal.SearchAttributeKey{contract.JobIDKey, contract.UserIDKey})
	tests := []struct {
		name     string
		register bool
		attrs    map[string]enums.IndexedValueType
		addErr   error
		// wantErr is nil for success; wantInErr are texts the error must hold.
		wantErr    error
		wantInErr  []string
		wantAdded  int
		wantProbes int
	}{
		{name: "registration on, all missing", register: true, wantAdded: 1, wantProbes: 1},
		{name: "registration on, all present: nothing added", register: true, attrs: contractAttrs(), wantProbes: 1},
		{name: "registration off, all present: nothing added", attrs: contractAttrs(), wantProbes: 1},
		{
			name: "registration off, two missing",
			attrs: func() map[string]enums.IndexedValueType {
				a := contractAttrs()
				delete(a, "JobId")
				delete(a, "UserId")
				return a
			}(),
			wantErr:   worker.ErrSearchAttributesMissing,
			wantInErr: []string{"namespace default: JobId, UserId", "REGISTER_SEARCH_ATTRIBUTES=false", cli, tctl},
		},
		{
			name: "an attribute with another type",
			attrs: func() map[string]enums.IndexedValueType {
				a := contractAttrs()
				a["Source"] = enums.INDEXED_VALUE_TYPE_TEXT
				return a
			}(),
			register:  true,
			wantErr:   worker.ErrSearchAttributeType,
			wantInErr: []string{"Source is Text on namespace default, the pipeline sets it as Keyword"},
		},
		{
			name:     "registration on, the add refused and nothing there",
			register: true, addErr: serviceerror.NewPermissionDenied("not an admin", ""),
			wantErr: &serviceerror.PermissionDenied{}, wantInErr: []string{"add search attributes EventType, JobId, Source, MonitorId, UserId"},
			wantAdded: 1,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			op := &operator{attrs: tc.attrs, addErr: tc.addErr}
			p := newProbes(t, op)
			cfg := config.Config{TemporalNamespace: "default", RegisterSearchAttributes: tc.register}
			err := worker.PrepareSearchAttributes(t.Context(), p.client, cfg)
			if tc.wantErr == nil {
				require.NoError(t, err)
			} else {
				require.ErrorAs(t, err, &tc.wantErr)
				for _, want := range tc.wantInErr {
					require.ErrorContains(t, err, want)
				}
			}
			require.Len(t, op.added, tc.wantAdded)
			p.requireProbe(t, tc.wantProbes)
			require.Len(t, p.terminated, tc.wantProbes)
		})
	}
}

// Two workers start together: the second one's add is refused because the first one's landed. It is there now,
// so that is no error.
func TestEnsureSearchAttributesLosesTheRace(t *testing.T) {
	op := &operator{addErr: serviceerror.NewUnavailable("Generated search attributes mapping unavailable.")}
	p := newProbes(t, op)
	p.client.On("OperatorService").Unset()
	calls := 0
	p.client.On("OperatorService").Return(func() operatorservice.OperatorServiceClient {
		calls++
		if calls == 3 { // the re-list after the refused add: the other worker's attributes are in
			op.mu.Lock()
			op.attrs = contractAttrs()
			op.mu.Unlock()
		}
		return op
	})
	require.NoError(t, worker.EnsureSearchAttributes(t.Context(), p.client, "default"))
	require.Len(t, op.added, 1)
	p.requireProbe(t, 1)
}

func TestCreateSearchAttributesCommands(t *testing.T) {
	tests := []struct {
		name      string
		namespace string
		keys      []temporal.SearchAttributeKey
		wantCLI   string
		wantTctl  string
	}{
		{
			name: "one attribute", namespace: "default", keys: []temporal.SearchAttributeKey{contract.SourceKey},
			wantCLI:  "temporal operator search-attribute create --namespace default --name Source --type Keyword",
			wantTctl: "tctl --namespace default admin cluster add-search-attributes --name Source --type Keyword",
		},
		{
			name: "the contract, on a Temporal Cloud namespace", namespace: "pipeline.a1b2c", keys: contract.SearchAttributeKeys(),
			wantCLI: "temporal operator search-attribute create --namespace pipeline.a1b2c --name EventType --type Keyword " +
				"--name JobId --type Keyword --name Source --type Keyword --name MonitorId --type Keyword --name UserId --type Keyword",
			wantTctl: "tctl --namespace pipeline.a1b2c admin cluster add-search-attributes --name EventType --type Keyword " +
				"--name JobId --type Keyword --name Source --type Keyword --name MonitorId --type Keyword --name UserId --type Keyword",
		},
		{
			// The type names are the ones both CLIs accept: Text, Keyword, Int, Double, Bool, Datetime, KeywordList.
			name: "every type", namespace: "default",
			keys: []temporal.SearchAttributeKey{
				temporal.NewSearchAttributeKeyString("A"), temporal.NewSearchAttributeKeyInt64("B"),
				temporal.NewSearchAttributeKeyFloat64("C"), temporal.NewSearchAttributeKeyBool("D"),
				temporal.NewSearchAttributeKeyTime("E"), temporal.NewSearchAttributeKeyKeywordList("F"),
			},
			wantCLI: "temporal operator search-attribute create --namespace default --name A --type Text --name B --type Int " +
				"--name C --type Double --name D --type Bool --name E --type Datetime --name F --type KeywordList",
			wantTctl: "tctl --namespace default admin cluster add-search-attributes --name A --type Text --name B --type Int " +
				"--name C --type Double --name D --type Bool --name E --type Datetime --name F --type KeywordList",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cli, tctl := worker.CreateSearchAttributesCommands(tc.namespace, tc.keys)
			require.Equal(t, tc.wantCLI, cli)
			require.Equal(t, tc.wantTctl, tctl)
		})
	}
}

// README.md gives the same command the worker prints.
func TestREADMEHasTheCreateCommand(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	require.NoError(t, err)
	cli, _ := worker.CreateSearchAttributesCommands("default", contract.SearchAttributeKeys())
	require.True(t, strings.Contains(string(readme), "`"+cli+"`"), "README.md lacks `%s`", cli)
}
