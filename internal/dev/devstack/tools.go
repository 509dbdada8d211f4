// Package devstack owns the no-Docker stack used by `make run` and by the integration-test harness: it starts
// the pinned Temporal dev server (with its Web UI) and a MinIO server as child processes, waits until each is
// ready, and stops them cleanly; on Linux they die with the process that started them, however it ends. The
// binaries come from scripts/install-tools.sh.
package devstack

import (
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
)

// ErrToolMissing is returned when a pinned tool has not been installed.
var ErrToolMissing = errors.New("tool not installed: run `make tools`")

// ToolPath returns the path of the pinned tool name: $TOOLS_BIN/name if TOOLS_BIN is set, else
// <module root>/.tools/bin/name, found by walking up from the working directory to go.mod.
func ToolPath(name string) (string, error) {
	dir := os.Getenv("TOOLS_BIN")
	if dir == "" {
		root, err := ModuleRoot()
		if err != nil {
			return "", err
		}
		dir = filepath.Join(root, ".tools", "bin")
	}
	p := filepath.Join(dir, name)
	if st, err := os.Stat(p); err != nil || st.IsDir() {
		return "", fmt.Errorf("%s at %s: %w", name, p, ErrToolMissing)
	}
	return p, nil
}

// ModuleRoot returns the directory holding go.mod, walking up from the working directory.
func ModuleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("working directory: %w", err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("go.mod not found above the working directory")
		}
		dir = parent
	}
}

// FreeAddr returns a loopback host:port that was free a moment ago.
func FreeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("find a free port: %w", err)
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// EnvOr returns the environment variable key, or def when it is unset or empty: how the dev and test launchers
// read their optional settings.
func EnvOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}
