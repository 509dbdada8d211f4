package config

import (
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
)

// HostAllowlist decides which hosts datafiles may be fetched from. An entry is "host" (any port),
// "host:port" (that port only) or "*.suffix" (any subdomain of suffix, any port). Matching is
// case-insensitive. An empty allowlist allows nothing.
type HostAllowlist struct {
	exact    map[string]bool // "host" and "host:port"
	suffixes []string        // ".suffix"
}

// NewHostAllowlist parses entries. Blank entries are ignored; an entry with a scheme, path or bad port is an
// error.
func NewHostAllowlist(entries []string) (*HostAllowlist, error) {
	a := &HostAllowlist{exact: map[string]bool{}}
	var errs []error
	for _, raw := range entries {
		e := strings.ToLower(strings.TrimSpace(raw))
		switch {
		case e == "":
			continue
		case strings.ContainsAny(e, "/@?#"):
			errs = append(errs, fmt.Errorf("entry %q: want host, host:port or *.suffix, not a URL", raw))
		case strings.HasPrefix(e, "*."):
			if len(e) < 3 || strings.Contains(e[2:], "*") || strings.Contains(e, ":") {
				errs = append(errs, fmt.Errorf("entry %q: a wildcard is *.suffix without a port", raw))
				continue
			}
			a.suffixes = append(a.suffixes, e[1:])
		case strings.Contains(e, "*"):
			errs = append(errs, fmt.Errorf("entry %q: only a leading *. wildcard is supported", raw))
		default:
			if h, p, err := net.SplitHostPort(e); err == nil {
				if _, perr := strconv.ParseUint(p, 10, 16); perr != nil || h == "" {
					errs = append(errs, fmt.Errorf("entry %q: want host:port with a numeric port", raw))
					continue
				}
				a.exact[net.JoinHostPort(h, p)] = true
				continue
			}
			if strings.Count(e, ":") == 1 {
				errs = append(errs, fmt.Errorf("entry %q: bad host:port", raw))
				continue
			}
			a.exact[strings.Trim(e, "[]")] = true
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return a, nil
}

// Allows reports whether hostport (a URL's Host: "host" or "host:port") may be fetched from. defaultPort is
// the scheme's port, used when hostport has none.
func (a *HostAllowlist) Allows(hostport, defaultPort string) bool {
	hostport = strings.ToLower(hostport)
	host, port, err := net.SplitHostPort(hostport)
	if err != nil {
		host, port = strings.Trim(hostport, "[]"), defaultPort
	}
	if host == "" {
		return false
	}
	if a.exact[host] || a.exact[net.JoinHostPort(host, port)] {
		return true
	}
	for _, s := range a.suffixes {
		if strings.HasSuffix(host, s) && len(host) > len(s) {
			return true
		}
	}
	return false
}
