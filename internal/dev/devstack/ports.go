package devstack

import (
	"errors"
	"fmt"
	"net"
	"syscall"
)

// ErrPortInUse is returned by CheckPorts when another process listens on a port the stack needs.
// Its text reads as part of CheckPorts's message: "port 9000 (...) is in use: ...".
var ErrPortInUse = errors.New("in use")

// Port is an address the stack is about to listen on.
type Port struct {
	// Addr is the listen address, host:port; an empty host means every interface.
	Addr string
	// Owner is what listens there, e.g. "MinIO S3 API".
	Owner string
	// Setting is the variable that moves it, e.g. "S3_ENDPOINT".
	Setting string
}

// CheckPorts listens on each port for a moment and returns an error for the first one it cannot take, naming
// the port, its owner and what to do; the error wraps ErrPortInUse when another process holds the port. It
// gives a clear message before anything starts, not a reservation: a port can still be taken afterwards.
func CheckPorts(ports []Port) error {
	for _, p := range ports {
		ln, err := net.Listen("tcp", p.Addr)
		if err == nil {
			if err := ln.Close(); err != nil {
				return fmt.Errorf("port check on %s: %w", p.Addr, err)
			}
			continue
		}
		_, port, _ := net.SplitHostPort(p.Addr)
		if errors.Is(err, syscall.EADDRINUSE) {
			return fmt.Errorf("port %s (%s at %s) is %w: is another `make run` or `make demo` still running? "+
				"Stop it (`ss -ltnp 'sport = :%s'` shows the process), or move the %s with %s",
				port, p.Owner, p.Addr, ErrPortInUse, port, p.Owner, p.Setting)
		}
		return fmt.Errorf("port %s (%s at %s) cannot be listened on (move the %s with %s): %w",
			port, p.Owner, p.Addr, p.Owner, p.Setting, err)
	}
	return nil
}
