//go:build integration

package faults

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"

	"github.com/socialhook/pipeline/internal/devstack"
	"github.com/socialhook/pipeline/internal/fakesocialdata"
	"github.com/socialhook/pipeline/internal/storage"
	"github.com/socialhook/pipeline/internal/testenv"
	"github.com/socialhook/pipeline/workflows"
)

// buildBinary builds ./cmd/<name> into a temp dir.
func buildBinary(t *testing.T, name string) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), name)
	out, err := exec.Command("go", "build", "-o", bin, "../cmd/"+name).CombinedOutput()
	require.NoError(t, err, "%s", out)
	return bin
}

func startProcess(t *testing.T, bin string, env ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(bin)
	cmd.Env = append(append(os.Environ(), stack.Env()...), env...)
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
	env := []string{"TASK_QUEUE=" + queue, "POLL_INTERVAL=0", "DATAFILE_ALLOW_PRIVATE=true"}
	first := startProcess(t, bin, env...)

	jobID := nextJob.Add(1)
	df := fakesocialdata.Datafile{Name: "slow.bin", Size: 48 << 20, Seed: uint64(jobID), BytesPerSecond: 8 << 20}
	run, err := stack.Client.ExecuteWorkflow(context.Background(), client.StartWorkflowOptions{
		ID: workflows.JobWorkflowID(jobID), TaskQueue: queue, WorkflowIDReusePolicy: enums.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
	}, workflows.JobWorkflowName, workflows.JobInput{JobID: jobID, Status: "success", DatafileURL: stack.Fake.DatafileURL(df)})
	require.NoError(t, err)

	// Wait until the copy is under way (its heartbeat reports bytes), then kill the worker mid-copy.
	require.Eventually(t, func() bool {
		desc, err := stack.Client.DescribeWorkflowExecution(context.Background(), run.GetID(), "")
		if err != nil {
			return false
		}
		for _, a := range desc.GetPendingActivities() {
			if a.GetActivityType().GetName() == workflows.FetchDatafileActivityName && a.GetHeartbeatDetails() != nil {
				return true
			}
		}
		return false
	}, 60*time.Second, 200*time.Millisecond)
	require.NoError(t, first.Process.Signal(syscall.SIGKILL))
	_, _ = first.Process.Wait()
	key := storage.DatafileKey(jobID, "slow.bin")
	_, err = stack.Store.Get(context.Background(), key)
	require.ErrorIs(t, err, storage.ErrNotFound, "no partial object after the kill")

	startProcess(t, bin, env...)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	var res workflows.JobResult
	if err := run.Get(ctx, &res); err != nil {
		desc, derr := stack.Client.DescribeWorkflowExecution(context.Background(), run.GetID(), "")
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
	require.EqualValues(t, 1, countRuns(t, run.GetID()))
	keys, err := stack.Store.List(context.Background(), storage.DatafilePrefix(jobID))
	require.NoError(t, err)
	require.ElementsMatch(t, []string{key, storage.ManifestKey(jobID)}, keys)
	fmt.Printf("FIGURES worker-kill sent=1 accepted=1 lost=0 duplicated=0 objects=%d sha256_ok=true\n", len(keys)-1)
}

// The ingress gets SIGTERM in the middle of a load: requests in flight finish, the listener closes, and every
// request that was answered 200 is processed exactly once (the rest were refused at the socket, so their
// sender knows).
func TestIngressSIGTERMDuringLoad(t *testing.T) {
	bin := buildBinary(t, "ingress")
	addr, err := devstack.FreeAddr()
	require.NoError(t, err)
	ingress := startProcess(t, bin, "INGRESS_ADDR="+addr, "SOCIALDATA_WEBHOOK_TOKEN="+testenv.WebhookToken,
		"SPOOL_PATH="+filepath.Join(t.TempDir(), "spool.db"))
	url := "http://" + addr + "/webhooks/socialdata/" + testenv.WebhookToken
	require.Eventually(t, func() bool { // the process needs a moment to listen
		c, err := net.Dial("tcp", addr)
		if err == nil {
			c.Close()
		}
		return err == nil
	}, 30*time.Second, 50*time.Millisecond)

	ids := newIDs(400)
	replies := load(t, url, ids, 8, func(i int) {
		if i == 150 {
			require.NoError(t, ingress.Process.Signal(syscall.SIGTERM))
		}
	})
	state, err := ingress.Process.Wait()
	require.NoError(t, err)
	require.True(t, state.Success(), "the ingress exits cleanly on SIGTERM: %s", state)
	f := verify(t, "ingress-sigterm", len(ids), replies)
	require.Zero(t, f.Lost)
	require.Zero(t, f.Duplicated)
	require.Positive(t, f.Accepted)
	require.Positive(t, f.Refused, "requests after the shutdown are refused, not half-accepted")
}
