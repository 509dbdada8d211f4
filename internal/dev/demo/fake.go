package demo

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"

	"github.com/socialhook/pipeline/internal/config"
)

// FakeListenAddr returns the address the demo serves the fake SocialData API on: SOCIALDATA_API_URL's, which
// must be plain http, and which the worker must be allowed to fetch datafiles from (DATAFILE_ALLOWED_HOSTS,
// and DATAFILE_ALLOW_PRIVATE for a loopback or private address).
func FakeListenAddr(cfg config.Config) (string, error) {
	u, err := url.Parse(cfg.SocialDataAPIURL)
	if err != nil || u.Scheme != "http" || u.Host == "" || (u.Path != "" && u.Path != "/") {
		return "", fmt.Errorf("SOCIALDATA_API_URL=%q: the demo serves the fake SocialData API there, so it must be "+
			"http://host:port, e.g. http://127.0.0.1:8090", cfg.SocialDataAPIURL)
	}
	addr := u.Host
	if u.Port() == "" {
		addr = net.JoinHostPort(u.Hostname(), "80")
	}
	var errs []error
	allow, err := config.NewHostAllowlist(cfg.DatafileAllowedHosts)
	if err != nil || !allow.Allows(u.Host, "80") {
		errs = append(errs, fmt.Errorf("DATAFILE_ALLOWED_HOSTS must allow %s, where the demo's datafiles are served", u.Host))
	}
	if ip, err := netip.ParseAddr(u.Hostname()); (err != nil || ip.IsLoopback() || ip.IsPrivate()) && !cfg.DatafileAllowPrivate {
		errs = append(errs, errors.New("DATAFILE_ALLOW_PRIVATE=true is needed: the demo's datafiles are served on a local address"))
	}
	return addr, errors.Join(errs...)
}
