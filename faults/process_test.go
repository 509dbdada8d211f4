//go:build integration

package faults

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/api/enums/v1"
	workflowpb "go.temporal.io/api/workflow/v1"
	"go.temporal.io/sdk/client"

	"github.com/socialhook/pipeline/contract"
	"github.com/socialhook/pipeline/internal/dev/devstack"
	"github.com/socialhook/pipeline/internal/dev/fakesocialdata"
	"github.com/socialhook/pipeline/internal/dev/promise"
	"github.com/socialhook/pipeline/internal/dev/testenv"
	"github.com/socialhook/pipeline/internal/storage"
)

// buildBinary builds ./cmd/<name> into a temp dir.
func buildBinary(t *testing.T, name string) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), name)
	out, err := exec.Command("go", "build", "-o", bin, "../cmd/"+name).CombinedOutput()
	require.NoError(t, err, "%s", out)
	return bin
}

// startProcess starts bin against the stack s and kills it when the test ends.
func startProcess(t *testing.T, s *testenv.Stack, bin string, env ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(bin)
	cmd.Env = append(append(os.Environ(), s.Env()...), env...)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	require.NoError(t, cmd.Start())
	t.Cleanup(func() { _ = cmd.Process.Kill(); _, _ = cmd.Process.Wait() })
	return cmd
}

// A worker killed (SIGKILL) in the middle of a datafile copy: the activity's heartbeat timeout hands the
// attempt to another worker, which copies the file again; the job completes with one correct object, and no
// partial object is ever visible (the aborted multipart upload never completes).
func TestWorkerKilledMidDatafile(t *testing.T) {
	const queue = "fault-worker-kill"
	bin := buildBinary(t, "worker")
	s := startStack(t)
	env := []string{"TASK_QUEUE=" + queue, "POLL_INTERVAL=0", "DATAFILE_ALLOW_PRIVATE=true"}
	first := startProcess(t, s, bin, env...)

	jobID := jobIDs(1)[0]
	df := fakesocialdata.Datafile{Name: "slow.bin", Size: 48 << 20, Seed: uint64(jobID), BytesPerSecond: 8 << 20}
	run, err := s.Client.ExecuteWorkflow(context.Background(), client.StartWorkflowOptions{
		ID: contract.JobWorkflowID(jobID), TaskQueue: queue, WorkflowIDReusePolicy: enums.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
	}, contract.JobWorkflowName, contract.JobInput{JobID: jobID, Status: "success", DatafileURL: s.Fake.DatafileURL(df)})
	require.NoError(t, err)

	// Wait until the copy is under way (its heartbeat reports bytes), then kill the worker mid-copy. Polled: the
	// run reaches the copy asynchronously, on the worker process.
	require.EventuallyWithT(t, func(c *assert.CollectT) {
		desc, err := s.Client.DescribeWorkflowExecution(t.Context(), run.GetID(), "")
		if !assert.NoError(c, err) {
			return
		}
		assert.True(c, slices.ContainsFunc(desc.GetPendingActivities(), func(a *workflowpb.PendingActivityInfo) bool {
			return a.GetActivityType().GetName() == contract.FetchDatafileActivityName && a.GetHeartbeatDetails() != nil
		}), "the datafile copy has not heartbeated yet")
	}, 60*time.Second, 200*time.Millisecond)
	require.NoError(t, first.Process.Signal(syscall.SIGKILL))
	_, _ = first.Process.Wait()
	key := storage.DatafileKey(jobID, "slow.bin")
	_, err = s.Store.Get(context.Background(), key)
	require.ErrorIs(t, err, storage.ErrNotFound, "no partial object after the kill")

	startProcess(t, s, bin, env...)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	var res contract.JobResult
	if err := run.Get(ctx, &res); err != nil {
		desc, derr := s.Client.DescribeWorkflowExecution(context.Background(), run.GetID(), "")
		if derr == nil {
			for _, a := range desc.GetPendingActivities() {
				t.Logf("pending %s attempt=%d state=%s lastWorker=%s lastFailure=%v", a.GetActivityType().GetName(), a.GetAttempt(),
					a.GetState(), a.GetLastWorkerIdentity(), a.GetLastFailure())
			}
		}
		t.Fatalf("job did not complete: %v", err)
	}
	require.Equal(t, fakesocialdata.SHA256(df.Seed, df.Size), res.SHA256)
	require.Equal(t, df.Size, res.Size)
	require.Zero(t, promise.DuplicatedRuns(t, s.Client, []string{run.GetID()}), "one run")
	keys, err := s.Store.List(context.Background(), storage.DatafilePrefix(jobID))
	require.NoError(t, err)
	require.ElementsMatch(t, []string{key, storage.ManifestKey(jobID)}, keys)
	fmt.Printf("FIGURES worker-kill sent=1 accepted=1 lost=0 duplicated=0 objects=%d sha256_ok=true\n", len(keys)-1)
}

// The ingress gets SIGTERM in the middle of a load: requests in flight finish, the listener closes, and every
// request that was answered 200 is processed exactly once (the rest were refused at the socket, so their
// sender knows).
func TestIngressSIGTERMDuringLoad(t *testing.T) {
	bin := buildBinary(t, "ingress")
	s := startStack(t)
	addr, err := devstack.FreeAddr()
	require.NoError(t, err)
	ingress := startProcess(t, s, bin, "INGRESS_ADDR="+addr, "SOCIALDATA_WEBHOOK_TOKEN="+testenv.WebhookToken,
		"SPOOL_PATH="+filepath.Join(t.TempDir(), "spool.db"))
	url := "http://" + addr + "/webhooks/socialdata/" + testenv.WebhookToken
	require.EventuallyWithT(t, func(c *assert.CollectT) { // polled: the process needs a moment to listen
		conn, err := net.Dial("tcp", addr)
		if assert.NoError(c, err) {
			conn.Close()
		}
	}, 30*time.Second, 50*time.Millisecond)

	ids := jobIDs(400)
	got := load(url, ids, 8, func(i int) {
		if i == 150 {
			require.NoError(t, ingress.Process.Signal(syscall.SIGTERM))
		}
	})
	state, err := ingress.Process.Wait()
	require.NoError(t, err)
	require.True(t, state.Success(), "the ingress exits cleanly on SIGTERM: %s", state)
	f := verify(t, s, "ingress-sigterm", got)
	require.Zero(t, f.Lost)
	require.Zero(t, f.Duplicated)
	require.Positive(t, f.Accepted)
	require.Positive(t, f.Refused, "requests after the shutdown are refused, not half-accepted")
}
