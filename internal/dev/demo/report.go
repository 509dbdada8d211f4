package demo

import (
	"fmt"
	"io"
	"net/url"
	"text/tabwriter"
	"time"

	"github.com/socialhook/pipeline/contract"
)

// What the demo prints for people: where to look, a line per delivery, and a summary.

func (r *runner) printf(format string, args ...any) { fprintf(r.cfg.Out, format, args...) }

// query is a visibility query worth trying, and why.
type query struct{ q, note string }

func (r *runner) queries() []query {
	qs := []query{
		{`EventType="new_tweet"`, "SocialData new_tweet events"},
		{`EventType="profile_update"`, "profile updates, with what changed in each run's summary"},
		{fmt.Sprintf(`UserId="%s"`, elonmusk.ID), "@elonmusk: his tweets, profile, X events and profile entity"},
		{fmt.Sprintf(`JobId="%d"`, r.p.FlakyJob), fmt.Sprintf("its datafile answers 500 %d times: FetchDatafile retries, then completes", flakyFailures)},
		{fmt.Sprintf(`JobId="%d"`, r.p.ErrorJob), "a job that finished with status error"},
		{`Source="socialdata-poll"`, "what the poller recovered (and the profiles it checked)"},
		{fmt.Sprintf(`MonitorId="%s"`, r.p.Monitors[0].ID), "@elonmusk's user_tweets monitor"},
	}
	if r.cfg.XSecret != "" {
		qs = append(qs, query{`Source="x"`, "X Account Activity and X Activity API events"})
	}
	return qs
}

func (r *runner) link(q string) string {
	if r.cfg.Links.WorkflowsURL == "" {
		return ""
	}
	if q == "" {
		return r.cfg.Links.WorkflowsURL
	}
	return r.cfg.Links.WorkflowsURL + "?query=" + url.QueryEscape(q)
}

func (r *runner) printGuide() {
	if r.cfg.Out == nil {
		return
	}
	x := ""
	if r.cfg.XSecret != "" {
		x = ", signed X deliveries (Account Activity API and X Activity API)"
	}
	lost := "the fake loses no webhook (no poller)"
	if r.cfg.PollInterval > 0 && r.cfg.DropFraction > 0 {
		lost = fmt.Sprintf("the fake loses some monitor webhooks, which the poller recovers (every %s)", r.cfg.PollInterval)
	}
	r.printf("\nDemo: %d deliveries over %s (seed %d): SocialData jobs with datafiles, monitor events%s, and duplicates;\n%s.\n",
		len(r.p.Steps), r.cfg.Duration, r.cfg.Seed, x, lost)
	r.printf("Where to look (Temporal UI; the same queries work with .tools/bin/temporal workflow list --query '...'):\n")
	tw := tabwriter.NewWriter(r.cfg.Out, 0, 0, 2, ' ', 0)
	if l := r.link(""); l != "" {
		fmt.Fprintf(tw, "  every run\t%s\n", l)
	}
	for _, q := range r.queries() {
		fmt.Fprintf(tw, "  %s\t%s\n", q.q, q.note)
		if l := r.link(q.q); l != "" {
			fmt.Fprintf(tw, "  \t%s\n", l)
		}
	}
	_ = tw.Flush()
	if r.p.FlakyJob != 0 {
		r.printf("The log's \"Activity error\" lines for FetchDatafile (status 500) are job %d's retries, on purpose.\n", r.p.FlakyJob)
	}
	if r.cfg.Links.MinIOConsoleURL != "" {
		r.printf("Objects: %s, bucket %s: datafiles/<job id>/, tweets/, follows/, users/<id>/history/, x/, raw/\n",
			r.cfg.Links.MinIOConsoleURL, r.cfg.Links.Bucket)
	}
	r.printf("\n")
}

func (r *runner) printStep(s *step, out string, err error) {
	result := out
	switch {
	case err != nil:
		result = "FAILED: " + err.Error()
	case out == outcomeDropped:
		result = "LOST by the fake: a poll will recover it"
	case out == "":
		result = "answered 200"
	}
	r.printf("  +%-5s %-19s %-70s %s\n", clock(time.Since(r.start)), s.EventType, cut(s.What, 70), result)
}

func (r *runner) printSummary(sum Summary) {
	if r.cfg.Out == nil {
		return
	}
	sent, lost, dups := 0, 0, 0
	for _, row := range sum.Rows {
		sent, lost, dups = sent+row.Sent, lost+row.Dropped, dups+row.Duplicates
	}
	r.printf("\nDemo stream done in %s: %d deliveries reached the ingress (%d of them duplicates), %d webhooks lost by the fake, %d failed.\n",
		sum.Elapsed.Round(time.Second), sent, dups, lost, sum.Failed)
	tw := tabwriter.NewWriter(r.cfg.Out, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "  source\tevent type\tsent\tlost\tduplicates\n")
	for _, row := range sum.Rows {
		fmt.Fprintf(tw, "  %s\t%s\t%d\t%d\t%d\n", row.Source, row.EventType, row.Sent, row.Dropped, row.Duplicates)
	}
	_ = tw.Flush()
	if len(sum.Dropped) > 0 {
		r.printf("Lost webhooks; the poller starts these runs (Source=%q) within %s:\n", contract.SourceSocialDataPoll, r.cfg.PollInterval)
		for _, d := range sum.Dropped {
			r.printf("  %-15s %s\n", d.EventType, d.WorkflowID)
		}
	}
	r.printf("The stack stays up: Ctrl-C stops it.\n\n")
}

// clock formats d as m:ss.
func clock(d time.Duration) string {
	s := int(d.Round(time.Second) / time.Second)
	return fmt.Sprintf("%d:%02d", s/60, s%60)
}

func cut(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}

// fprintf prints to w when it is set.
func fprintf(w io.Writer, format string, args ...any) {
	if w != nil {
		fmt.Fprintf(w, format, args...)
	}
}
