package prodstack

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	"github.com/socialhook/pipeline/internal/dev/devstack"
)

// PostgresOptions configures the tier's PostgreSQL server: a private cluster of the Debian package's
// binaries, initialised in Dir on first start.
type PostgresOptions struct {
	// Major is the PostgreSQL major version (POSTGRES_MAJOR): binaries in /usr/lib/postgresql/<major>/bin
	// unless PG_BIN is set.
	Major string
	// Dir holds the cluster (Dir/data) and its socket; created if missing.
	Dir string
	// Port is the TCP port on 127.0.0.1; 0 picks a free one.
	Port int
	// User and Password are the superuser the server's stores log in as.
	User, Password string
	Output         io.Writer
}

// Postgres is a running PostgreSQL server that can be restarted on the same port and data.
type Postgres struct {
	opts PostgresOptions
	bin  string
	proc *devstack.Process
	// Addr is 127.0.0.1:<port>.
	Addr string
}

// StartPostgres initialises the cluster if Dir has none and starts the server.
func StartPostgres(ctx context.Context, opts PostgresOptions) (*Postgres, error) {
	bin := os.Getenv("PG_BIN")
	if bin == "" {
		bin = filepath.Join("/usr/lib/postgresql", opts.Major, "bin")
	}
	if _, err := os.Stat(filepath.Join(bin, "postgres")); err != nil {
		return nil, fmt.Errorf("postgresql %s binaries not found in %s (apt-get install postgresql-%s, or set PG_BIN): %w",
			opts.Major, bin, opts.Major, err)
	}
	if opts.Port == 0 {
		var err error
		if opts.Port, err = freePort(); err != nil {
			return nil, err
		}
	}
	p := &Postgres{opts: opts, bin: bin, Addr: "127.0.0.1:" + strconv.Itoa(opts.Port)}
	if err := p.initdb(); err != nil {
		return nil, err
	}
	if err := p.Start(ctx); err != nil {
		return nil, err
	}
	return p, nil
}

// cred is the account the server runs as: initdb and postgres refuse to run as root, so under root (CI) they
// run as the package's postgres account.
func cred() (*syscall.Credential, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		return nil, fmt.Errorf("running as root needs the postgres account of the postgresql package: %w", err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, nil
}

func (p *Postgres) command(name string, args ...string) (*exec.Cmd, error) {
	c, err := cred()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(filepath.Join(p.bin, name), args...)
	cmd.Stdout, cmd.Stderr = p.opts.Output, p.opts.Output
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: c, Setpgid: true}
	return cmd, nil
}

func (p *Postgres) dataDir() string { return filepath.Join(p.opts.Dir, "data") }

func (p *Postgres) initdb() error {
	if _, err := os.Stat(filepath.Join(p.dataDir(), "PG_VERSION")); err == nil {
		return nil
	}
	if err := os.MkdirAll(p.opts.Dir, 0o755); err != nil {
		return err
	}
	pw := filepath.Join(p.opts.Dir, "pwfile")
	if err := os.WriteFile(pw, []byte(p.opts.Password+"\n"), 0o644); err != nil {
		return err
	}
	if c, err := cred(); err != nil {
		return err
	} else if c != nil {
		// The account needs to reach and own its directory: the temp dirs above it are root's, 0700.
		for dir := p.opts.Dir; dir != "/" && dir != "."; dir = filepath.Dir(dir) {
			if st, err := os.Stat(dir); err == nil && st.Mode().Perm()&0o011 != 0o011 && dir != p.opts.Dir {
				if err := os.Chmod(dir, st.Mode().Perm()|0o011); err != nil {
					return err
				}
			}
		}
		if err := os.Chown(p.opts.Dir, int(c.Uid), int(c.Gid)); err != nil {
			return err
		}
	}
	cmd, err := p.command("initdb", "-D", p.dataDir(), "-U", p.opts.User, "--pwfile", pw,
		"--auth", "scram-sha-256", "--encoding", "UTF8", "--locale", "C")
	if err != nil {
		return err
	}
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("initdb: %w", err)
	}
	return os.Remove(pw)
}

// Start starts the server on the cluster and port it was created with and waits until it accepts
// connections.
func (p *Postgres) Start(ctx context.Context) error {
	cmd, err := p.command("postgres", "-D", p.dataDir(), "-p", strconv.Itoa(p.opts.Port),
		"-c", "listen_addresses=127.0.0.1", "-c", "unix_socket_directories="+p.opts.Dir,
		"-c", "max_connections=300", "-c", "fsync=on")
	if err != nil {
		return err
	}
	if p.proc, err = devstack.StartProcess(cmd); err != nil {
		return fmt.Errorf("start postgres: %w", err)
	}
	readyCtx, release := p.proc.WhileRunning(ctx)
	defer release()
	readyCtx, cancel := context.WithTimeout(readyCtx, 60*time.Second)
	defer cancel()
	for {
		check := exec.CommandContext(readyCtx, filepath.Join(p.bin, "pg_isready"), "-h", "127.0.0.1",
			"-p", strconv.Itoa(p.opts.Port), "-U", p.opts.User, "-q")
		if check.Run() == nil {
			return nil
		}
		select {
		case <-readyCtx.Done():
			_ = p.proc.Stop(syscall.SIGINT, stopGrace)
			return fmt.Errorf("postgres at %s not ready: %w", p.Addr, context.Cause(readyCtx))
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// Stop shuts the server down (fast shutdown: open transactions roll back, committed ones are on disk).
func (p *Postgres) Stop() error {
	if p.proc == nil {
		return nil
	}
	if err := p.proc.Stop(syscall.SIGINT, stopGrace); err != nil {
		return fmt.Errorf("stop postgres: %w", err)
	}
	return nil
}

// Restart stops the server and starts it again on the same data and port.
func (p *Postgres) Restart(ctx context.Context) error {
	if err := p.Stop(); err != nil {
		return err
	}
	return p.Start(ctx)
}

// stopGrace is how long a server gets to exit after being asked to, before it is killed.
const stopGrace = 20 * time.Second

// freePort is a loopback port that was free a moment ago.
func freePort() (int, error) {
	addr, err := devstack.FreeAddr()
	if err != nil {
		return 0, err
	}
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		return 0, err
	}
	return strconv.Atoi(port)
}

// freeServerPort is a loopback port below 32768 that was free a moment ago: the server stores membership
// ports in a smallint column, and the kernel's ephemeral range (from 32768) would overflow it.
func freeServerPort() (int, error) {
	for range 200 {
		port := 20000 + rand.IntN(12000)
		ln, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(port))
		if err != nil {
			continue
		}
		_ = ln.Close()
		return port, nil
	}
	return 0, errors.New("no free port in 20000-32000")
}
