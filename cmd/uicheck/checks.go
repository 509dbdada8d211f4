package main

import (
	"fmt"
	"sort"
	"strings"
)

// check is one page of the UI and what its list must show.
type check struct {
	name  string
	query string // visibility query, as typed in the UI's search box; empty: every run
	// present: every one of these ID prefixes must appear in the list (the unfiltered page).
	present []string
	// only: the list must have rows, and every row's ID must start with this prefix (a filtered page).
	only       string
	screenshot string // file name under -screenshots; empty: none
}

// checks are the pages uicheck opens, in order. The prefixes are the pipeline's workflow IDs (README.md,
// "Workflow IDs"); in the first minute of `make demo` every one of them has runs.
func checks() []check {
	return []check{
		{
			name:       "workflows page: the demo's runs of every source",
			present:    []string{"socialdata-job-", "socialdata-tweet-", "socialdata-profile-", "x-", "profile-"},
			screenshot: "temporal-ui-workflows.png",
		},
		{
			name:       "filtered list: profile updates",
			query:      `EventType="profile_update"`,
			only:       "socialdata-profile-",
			screenshot: "temporal-ui-profile-updates.png",
		},
		{name: "filtered list: SocialData jobs", query: `EventType="job_finished"`, only: "socialdata-job-"},
		{name: "filtered list: X events", query: `Source="x"`, only: "x-"},
	}
}

// verify says why rows (the workflow IDs of a rendered list) do not satisfy c, or nil.
func (c check) verify(rows []string) error {
	if len(rows) == 0 {
		return fmt.Errorf("no workflow in the list")
	}
	var missing []string
	for _, p := range c.present {
		if !anyHasPrefix(rows, p) {
			missing = append(missing, p+"…")
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("no workflow ID %s in the list", strings.Join(missing, ", "))
	}
	if c.only != "" {
		for _, id := range rows {
			if !strings.HasPrefix(id, c.only) {
				return fmt.Errorf("the list for %s shows %s, not a %s… run: the query was not applied", c.query, id, c.only)
			}
		}
	}
	return nil
}

// describe says what a passing c found, for the report.
func (c check) describe() string {
	if c.only != "" {
		return fmt.Sprintf("every row is a %s… run", c.only)
	}
	return "found " + strings.Join(c.present, "…, ") + "…"
}

func anyHasPrefix(ids []string, prefix string) bool {
	for _, id := range ids {
		if strings.HasPrefix(id, prefix) {
			return true
		}
	}
	return false
}

// kind is a workflow ID up to its first digit: "socialdata-job-", "x-favorite-", "profile-".
func kind(id string) string {
	if i := strings.IndexAny(id, "0123456789"); i > 0 {
		return id[:i]
	}
	return id
}

// formatKinds counts rows by kind: "profile-×9 socialdata-job-×3 …", or "none".
func formatKinds(rows []string) string {
	if len(rows) == 0 {
		return "none"
	}
	counts := map[string]int{}
	for _, id := range rows {
		counts[kind(id)]++
	}
	kinds := make([]string, 0, len(counts))
	for k := range counts {
		kinds = append(kinds, k)
	}
	sort.Strings(kinds)
	parts := make([]string, len(kinds))
	for i, k := range kinds {
		parts[i] = fmt.Sprintf("%s×%d", k, counts[k])
	}
	return strings.Join(parts, " ")
}
