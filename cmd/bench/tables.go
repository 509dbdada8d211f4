package main

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

// figures are what the accept and end-to-end phases measured on one server; a zero result was not measured.
type figures struct {
	name                             string
	bare, accept, noop, jobs, tweets result
}

// printTable prints one server's figures as a table, with the ratios the dev phases print.
func printTable(w io.Writer, f figures) {
	fmt.Fprintf(w, "\nTABLE %s\n", f.name)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "measure\tcount\tseconds\trate/s\tp50 ms\tp99 ms\terrors")
	for _, r := range []result{f.bare, f.accept, f.noop, f.jobs, f.tweets} {
		if r.count == 0 {
			continue
		}
		fmt.Fprintf(tw, "%s\t%d\t%.2f\t%.1f\t%.1f\t%.1f\t%d\n", r.name, r.count, r.seconds, r.rate(), ms(r.p50), ms(r.p99), r.errors)
	}
	_ = tw.Flush()
	var ratios []string
	if f.bare.count > 0 && f.accept.count > 0 {
		ratios = append(ratios, fmt.Sprintf("accept / bare start rate %.2f, p99 %.2f", f.accept.rate()/f.bare.rate(), float64(f.accept.p99)/float64(f.bare.p99)))
	}
	if f.noop.count > 0 {
		ratios = append(ratios, fmt.Sprintf("job events / bare start+no-op %.2f, monitor events / bare start+no-op %.2f",
			f.jobs.rate()/f.noop.rate(), f.tweets.rate()/f.noop.rate()))
	}
	if len(ratios) > 0 {
		fmt.Fprintf(w, "ratios: %s\n", strings.Join(ratios, "; "))
	}
}

// printSideBySide prints every server's figures in one table, a column each.
func printSideBySide(w io.Writer, servers []figures) {
	rate := func(r result) string {
		if r.count == 0 {
			return "-"
		}
		return fmt.Sprintf("%.1f", r.rate())
	}
	lat := func(r result) string {
		if r.count == 0 {
			return "-"
		}
		return fmt.Sprintf("%.0f / %.0f", ms(r.p50), ms(r.p99))
	}
	ratio := func(a, b result) string {
		if a.count == 0 || b.count == 0 {
			return "-"
		}
		return fmt.Sprintf("%.2f", a.rate()/b.rate())
	}
	p99Ratio := func(a, b result) string {
		if a.count == 0 || b.count == 0 {
			return "-"
		}
		return fmt.Sprintf("%.2f", float64(a.p99)/float64(b.p99))
	}
	rows := []struct {
		name string
		cell func(f figures) string
	}{
		{"bare StartWorkflow, starts/s", func(f figures) string { return rate(f.bare) }},
		{"  p50 / p99 ms", func(f figures) string { return lat(f.bare) }},
		{"ingress accept, webhooks/s", func(f figures) string { return rate(f.accept) }},
		{"  p50 / p99 ms", func(f figures) string { return lat(f.accept) }},
		{"  accept / bare rate", func(f figures) string { return ratio(f.accept, f.bare) }},
		{"  accept / bare p99", func(f figures) string { return p99Ratio(f.accept, f.bare) }},
		{"bare start + no-op, events/s", func(f figures) string { return rate(f.noop) }},
		{"  p50 / p99 ms", func(f figures) string { return lat(f.noop) }},
		{"pipeline job events/s", func(f figures) string { return rate(f.jobs) }},
		{"  p50 / p99 ms", func(f figures) string { return lat(f.jobs) }},
		{"  job / bare start+no-op", func(f figures) string { return ratio(f.jobs, f.noop) }},
		{"pipeline monitor events/s", func(f figures) string { return rate(f.tweets) }},
		{"  p50 / p99 ms", func(f figures) string { return lat(f.tweets) }},
		{"  monitor / bare start+no-op", func(f figures) string { return ratio(f.tweets, f.noop) }},
		{"errors (every series)", func(f figures) string {
			return fmt.Sprint(f.bare.errors + f.accept.errors + f.noop.errors + f.jobs.errors + f.tweets.errors)
		}},
	}
	fmt.Fprintln(w, "SIDE BY SIDE (dev server: temporal dev server on SQLite, ingress and workers in the bench process; "+
		"prod N+N: temporal-server on PostgreSQL, mTLS, MinIO erasure-coded on 4 drives, N ingress + N worker processes)")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprint(tw, "measure")
	for _, f := range servers {
		fmt.Fprintf(tw, "\t%s", f.name)
	}
	fmt.Fprintln(tw)
	for _, r := range rows {
		fmt.Fprint(tw, r.name)
		for _, f := range servers {
			fmt.Fprintf(tw, "\t%s", r.cell(f))
		}
		fmt.Fprintln(tw)
	}
	_ = tw.Flush()
}
