package prodstack

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"

	"github.com/socialhook/pipeline/internal/dev/devstack"
)

// BuildBinaries builds the real cmd/ingress and cmd/worker into dir and returns their paths.
func BuildBinaries(ctx context.Context, dir string) (ingress, worker string, err error) {
	root, err := devstack.ModuleRoot()
	if err != nil {
		return "", "", err
	}
	cmd := exec.CommandContext(ctx, "go", "build", "-o", dir+string(filepath.Separator), "./cmd/ingress", "./cmd/worker")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", "", fmt.Errorf("go build: %w\n%s", err, out)
	}
	return filepath.Join(dir, "ingress"), filepath.Join(dir, "worker"), nil
}

// Pipeline is one of the tier's ingress or worker processes: the real binary with its own environment, which a
// test can kill and start again with the same environment (and so the same spool file and ports).
type Pipeline struct {
	Name string
	bin  string
	env  []string
	// ReadyURL answers 200 once the process serves (ingress /readyz, worker /healthz).
	ReadyURL string
	// BaseURL is the ingress's http://host:port; empty for a worker.
	BaseURL string
	out     io.Writer
	proc    *devstack.Process
}

// Start starts the process and waits until ReadyURL answers 200.
func (p *Pipeline) Start(ctx context.Context) error {
	cmd := exec.Command(p.bin)
	cmd.Env = p.env
	cmd.Stdout, cmd.Stderr = p.out, p.out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	proc, err := devstack.StartProcess(cmd)
	if err != nil {
		return fmt.Errorf("start %s: %w", p.Name, err)
	}
	p.proc = proc
	readyCtx, release := proc.WhileRunning(ctx)
	defer release()
	if err := devstack.WaitHTTP(readyCtx, p.ReadyURL, 3*time.Minute); err != nil {
		_ = proc.Stop(syscall.SIGTERM, stopGrace)
		return fmt.Errorf("%s not ready: %w (cause: %v)", p.Name, err, context.Cause(readyCtx))
	}
	return nil
}

// Kill sends SIGKILL and waits until the process has exited: nothing is flushed or drained, as in a crash.
func (p *Pipeline) Kill() { p.proc.Kill() }

// Stop sends SIGTERM and waits for a graceful exit, which it returns (nil: exit status 0).
func (p *Pipeline) Stop() error {
	if p.proc == nil {
		return nil
	}
	if err := p.proc.Stop(syscall.SIGTERM, 45*time.Second); err != nil {
		return fmt.Errorf("stop %s: %w", p.Name, err)
	}
	return p.proc.Err()
}

// Running reports whether the process is up.
func (p *Pipeline) Running() bool {
	if p.proc == nil {
		return false
	}
	select {
	case <-p.proc.Exited():
		return false
	default:
		return true
	}
}

func newPipeline(name, bin string, env []string, logDir string) (*Pipeline, error) {
	f, err := os.OpenFile(filepath.Join(logDir, name+".log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	return &Pipeline{Name: name, bin: bin, env: env, out: f}, nil
}

// Pid is the running process's id (0 before Start).
func (p *Pipeline) Pid() int {
	if p.proc == nil {
		return 0
	}
	return p.proc.Pid()
}

// WebhookURL is an ingress's SocialData webhook URL (with the tier's token).
func (p *Pipeline) WebhookURL() string { return p.BaseURL + "/webhooks/socialdata/" + WebhookToken }
