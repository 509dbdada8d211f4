// Command uicheck checks the Temporal Web UI of a running stack (`make demo`, then `make ui-check`) in a real
// headless browser: it opens the workflows page, waits until the list has rendered, and requires the demo's
// workflows there — SocialData jobs and tweets, X events and profile entities — then opens filtered lists through
// the UI's own query URL (?query=EventType="profile_update", …) and requires rows, every one of the expected kind.
// It writes screenshots of the workflows page and of the profile_update list to -screenshots (docs/) and exits
// non-zero, saying what it saw, when a check fails. It never starts the stack.
//
// The browser is Debian's chromium (apt-get install -y chromium), driven through the DevTools protocol by
// github.com/chromedp/chromedp.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/socialhook/pipeline/internal/dev/devstack"

	"github.com/chromedp/chromedp"
)

// defaultURL is the workflows page of `make run` / `make demo`'s Temporal UI.
const defaultURL = "http://127.0.0.1:8233/namespaces/default/workflows"

// options are the command's flags.
type options struct {
	url         string
	browser     string
	screenshots string
	timeout     time.Duration
	reload      time.Duration
	width       int
	height      int
}

func main() {
	opts := options{}
	flag.StringVar(&opts.url, "url", devstack.EnvOr("UICHECK_URL", defaultURL), "the Temporal UI's workflows page (env UICHECK_URL)")
	flag.StringVar(&opts.browser, "browser", os.Getenv("UICHECK_BROWSER"), "the chromium binary (env UICHECK_BROWSER; default: chromium from PATH)")
	flag.StringVar(&opts.screenshots, "screenshots", "docs", "directory for the PNG screenshots (empty: none)")
	flag.DurationVar(&opts.timeout, "timeout", 90*time.Second, "how long each page may take to show what it must")
	flag.DurationVar(&opts.reload, "reload", 15*time.Second, "reload a page that does not show it yet after this long (the list does not refresh itself)")
	flag.IntVar(&opts.width, "width", 1920, "browser window width")
	flag.IntVar(&opts.height, "height", 1400, "browser window height")
	flag.Parse()
	if err := run(opts, os.Stdout); err != nil {
		fmt.Fprintf(os.Stderr, "uicheck: FAIL: %v\n", err)
		os.Exit(1)
	}
}

func run(opts options, out io.Writer) error {
	if _, err := url.ParseRequestURI(opts.url); err != nil {
		return fmt.Errorf("-url %q: %w", opts.url, err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()

	allocOpts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.NoSandbox, // chromium refuses to run as root with its sandbox
		chromedp.DisableGPU,
		chromedp.WindowSize(opts.width, opts.height),
	)
	if opts.browser != "" {
		allocOpts = append(allocOpts, chromedp.ExecPath(opts.browser))
	}
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(ctx, allocOpts...)
	defer cancelAlloc()
	browserCtx, cancelBrowser := chromedp.NewContext(allocCtx)
	defer cancelBrowser()
	if err := chromedp.Do(browserCtx); err != nil {
		return fmt.Errorf("start the browser (apt-get install -y chromium, or -browser): %w", err)
	}

	var failed []string
	for _, c := range checks() {
		target := pageURL(opts.url, c.query)
		fmt.Fprintf(out, "%s\n  %s\n", c.name, target)
		rows, err := waitForRows(browserCtx, target, c, opts)
		fmt.Fprintf(out, "  %d rows: %s\n", len(rows), formatKinds(rows))
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			fmt.Fprintf(out, "  FAIL: %v\n", err)
			failed = append(failed, c.name+": "+err.Error())
			continue
		}
		fmt.Fprintf(out, "  ok: %s\n", c.describe())
		if c.screenshot != "" && opts.screenshots != "" {
			path := filepath.Join(opts.screenshots, c.screenshot)
			if err := screenshot(browserCtx, path); err != nil {
				return err
			}
			fmt.Fprintf(out, "  screenshot: %s\n", path)
		}
	}
	if len(failed) > 0 {
		return fmt.Errorf("the Temporal UI at %s does not show the demo's workflows (is `make demo` running?):\n  %s",
			opts.url, strings.Join(failed, "\n  "))
	}
	fmt.Fprintf(out, "uicheck: ok: the Temporal UI shows the demo's workflows\n")
	return nil
}

// pageURL is the workflows page filtered by a visibility query, as the UI's own search box writes it.
func pageURL(base, query string) string {
	if query == "" {
		return base
	}
	return base + "?query=" + url.QueryEscape(query)
}

// rowIDsJS lists the workflow IDs of the rendered list in order: each row links to
// /namespaces/<ns>/workflows/<workflow id>/<run id>/history.
const rowIDsJS = `(() => {
  const ids = [];
  for (const a of document.querySelectorAll('a[href*="/workflows/"]')) {
    const m = new URL(a.href).pathname.match(/\/workflows\/([^/]+)\/[^/]+\/history$/);
    if (m) {
      const id = decodeURIComponent(m[1]);
      if (!ids.includes(id)) ids.push(id);
    }
  }
  return ids;
})()`

// waitForRows opens target and polls the rendered list until c holds, reloading every opts.reload, for at most
// opts.timeout. It returns the last rows seen.
func waitForRows(ctx context.Context, target string, c check, opts options) ([]string, error) {
	ctx, cancel := context.WithTimeout(ctx, opts.timeout)
	defer cancel()
	var rows []string
	lastErr := errors.New("the page did not load")
	for {
		if err := chromedp.Do(ctx, chromedp.Navigate(target), chromedp.WaitReady("body")); err != nil {
			if ctx.Err() != nil {
				return rows, fmt.Errorf("%w (after %s)", lastErr, opts.timeout)
			}
			return rows, fmt.Errorf("open %s: %w", target, err)
		}
		reloadAt := time.Now().Add(opts.reload)
		for time.Now().Before(reloadAt) {
			if ids, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](rowIDsJS)); err == nil {
				rows = ids
				if lastErr = c.verify(rows); lastErr == nil {
					// Let the table finish painting (badges, relative times) before anyone screenshots it.
					if err := chromedp.Do(ctx, chromedp.Sleep(time.Second)); err == nil {
						return rows, nil
					}
				}
			}
			select {
			case <-ctx.Done():
				return rows, fmt.Errorf("%w (after %s)", lastErr, opts.timeout)
			case <-time.After(500 * time.Millisecond):
			}
		}
	}
}

// screenshot writes the viewport as a PNG.
func screenshot(ctx context.Context, path string) error {
	png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		return fmt.Errorf("screenshot: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("screenshot: %w", err)
	}
	if err := os.WriteFile(path, png, 0o644); err != nil {
		return fmt.Errorf("screenshot: %w", err)
	}
	return nil
}
