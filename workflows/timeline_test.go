package workflows

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"sort"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/socialhook/pipeline/contract"
)

// store applies effects to an in-memory key space, as WriteProfile does to MinIO.
type memStore map[string]contract.HistoryEntry

func (m memStore) apply(eff profileEffects) {
	for _, e := range eff.upserts {
		m[e.ObservationID] = e
	}
	for _, e := range eff.deletes {
		delete(m, e.ObservationID)
	}
}

func (m memStore) sorted() []contract.HistoryEntry {
	out := make([]contract.HistoryEntry, 0, len(m))
	for _, e := range m {
		out = append(out, e)
	}
	sortEntries(out)
	return out
}

func obsAt(i int, fields map[string]any) contract.Observation {
	body, _ := json.Marshal(fields)
	return contract.ObservationFor(fmt.Sprintf("wf-%03d", i), "test", "7", body, time.Unix(int64(1000+i), 0), nil)
}

func TestTimelineShuffledArrivalGivesTheSameHistory(t *testing.T) {
	const n = 50
	var obs []contract.Observation
	for i := range n {
		f := map[string]any{"id_str": "7", "name": fmt.Sprintf("n%d", i/2), "followers_count": i, "description": "a"}
		if i >= 17 {
			f["description"] = "b"
		}
		obs = append(obs, obsAt(i, f))
	}
	// In arrival order, the expected history.
	var inOrder timeline
	want := memStore{}
	for _, o := range obs {
		want.apply(inOrder.apply("7", o, testTracked, 1000))
	}
	require.Len(t, want, 25)
	for seed := range uint64(200) {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			shuffled := append([]contract.Observation(nil), obs...)
			r := rand.New(rand.NewPCG(seed, seed))
			r.Shuffle(n, func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
			var st timeline
			got := memStore{}
			for _, o := range shuffled {
				got.apply(st.apply("7", o, testTracked, 1000))
			}
			require.Equal(t, want.sorted(), got.sorted())
			require.Equal(t, obs[n-1].ID, st.Latest.ObservationID)
			require.Len(t, st.Points, n)
		})
	}
}

func TestTimelineKeys(t *testing.T) {
	// sortEntries orders by observed-at.
	es := []contract.HistoryEntry{{ObservationID: "b", ObservedAt: time.Unix(2, 0)}, {ObservationID: "a", ObservedAt: time.Unix(1, 0)}}
	sortEntries(es)
	require.True(t, sort.SliceIsSorted(es, func(i, j int) bool { return es[i].ObservedAt.Before(es[j].ObservedAt) }))
}

func TestTimelineApply(t *testing.T) {
	user := func(fields string) json.RawMessage { return json.RawMessage(`{"id_str":"7",` + fields + `}`) }
	at := func(s int) time.Time { return time.Unix(int64(1000+s), 0).UTC() }
	obs := func(id string, s int, fields string, reported map[string]contract.Change) contract.Observation {
		return contract.Observation{ID: id, UserID: "7", ObservedAt: at(s), Source: contract.ObservationSource{EventType: "e", WorkflowID: id}, User: user(fields), Reported: reported}
	}
	tracked := testTracked
	tests := []struct {
		name string
		seed *contract.ProfileSnapshot
		max  int
		in   []contract.Observation
		// want: the history entries' observation IDs and their changes; outcomes of each apply.
		wantOutcomes []string
		wantEntries  map[string]map[string]contract.Change
		wantLatest   string
		check        func(t *testing.T, entries map[string]contract.HistoryEntry)
	}{
		{
			name:         "first observation is a baseline without entry",
			in:           []contract.Observation{obs("a", 1, `"name":"A"`, nil)},
			wantOutcomes: []string{applyApplied},
			wantEntries:  map[string]map[string]contract.Change{},
			wantLatest:   "a",
		},
		{
			name:         "repeat is ignored",
			in:           []contract.Observation{obs("a", 1, `"name":"A"`, nil), obs("a", 1, `"name":"A"`, nil)},
			wantOutcomes: []string{applyApplied, applyDuplicate},
			wantEntries:  map[string]map[string]contract.Change{},
			wantLatest:   "a",
		},
		{
			name:         "counters alone make no entry but update the snapshot",
			in:           []contract.Observation{obs("a", 1, `"name":"A","followers_count":1`, nil), obs("b", 2, `"name":"A","followers_count":2`, nil)},
			wantOutcomes: []string{applyApplied, applyApplied},
			wantEntries:  map[string]map[string]contract.Change{},
			wantLatest:   "b",
		},
		{
			name: "a missing field carries forward",
			in: []contract.Observation{obs("a", 1, `"name":"A","location":"X"`, nil), obs("b", 2, `"name":"B"`, nil),
				obs("c", 3, `"name":"B","location":"Y"`, nil)},
			wantOutcomes: []string{applyApplied, applyApplied, applyApplied},
			wantEntries: map[string]map[string]contract.Change{
				"b": {"name": {Old: json.RawMessage(`"A"`), New: json.RawMessage(`"B"`)}},
				"c": {"location": {Old: json.RawMessage(`"X"`), New: json.RawMessage(`"Y"`)}},
			},
			wantLatest: "c",
		},
		{
			name:         "older observation never overwrites the snapshot",
			in:           []contract.Observation{obs("new", 5, `"name":"B"`, nil), obs("old", 1, `"name":"A"`, nil)},
			wantOutcomes: []string{applyApplied, applyApplied},
			wantEntries:  map[string]map[string]contract.Change{"new": {"name": {Old: json.RawMessage(`"A"`), New: json.RawMessage(`"B"`)}}},
			wantLatest:   "new",
		},
		{
			name: "reported changes that disagree are a mismatch",
			in: []contract.Observation{obs("a", 1, `"name":"A"`, nil),
				obs("c", 3, `"name":"C"`, map[string]contract.Change{"name": {Old: json.RawMessage(`"B"`), New: json.RawMessage(`"C"`)}})},
			wantOutcomes: []string{applyApplied, applyApplied},
			wantEntries:  map[string]map[string]contract.Change{"c": {"name": {Old: json.RawMessage(`"A"`), New: json.RawMessage(`"C"`)}}},
			wantLatest:   "c",
			check: func(t *testing.T, entries map[string]contract.HistoryEntry) {
				require.True(t, entries["c"].Mismatch)
			},
		},
		{
			name: "reported changes on the first observation are a baseline entry",
			in: []contract.Observation{obs("a", 1, `"name":"C"`,
				map[string]contract.Change{"name": {Old: json.RawMessage(`"B"`), New: json.RawMessage(`"C"`)}})},
			wantOutcomes: []string{applyApplied},
			wantEntries:  map[string]map[string]contract.Change{"a": {}},
			wantLatest:   "a",
			check: func(t *testing.T, entries map[string]contract.HistoryEntry) {
				require.True(t, entries["a"].Baseline)
				require.False(t, entries["a"].Mismatch)
			},
		},
		{
			name:         "seeded from a stored snapshot: compared with it, older ones too late",
			seed:         &contract.ProfileSnapshot{UserID: "7", ObservedAt: at(10), ObservationID: "stored", User: user(`"name":"S"`)},
			in:           []contract.Observation{obs("old", 5, `"name":"O"`, nil), obs("new", 11, `"name":"N"`, nil)},
			wantOutcomes: []string{applyTooLate, applyApplied},
			wantEntries:  map[string]map[string]contract.Change{"new": {"name": {Old: json.RawMessage(`"S"`), New: json.RawMessage(`"N"`)}}},
			wantLatest:   "new",
		},
		{
			name: "trimming keeps diffs exact and makes older ones too late",
			max:  2,
			in: []contract.Observation{obs("a", 1, `"name":"A"`, nil), obs("b", 2, `"name":"B"`, nil), obs("c", 3, `"name":"C"`, nil),
				obs("d", 4, `"name":"D"`, nil), obs("late", 2, `"name":"Z"`, nil)},
			wantOutcomes: []string{applyApplied, applyApplied, applyApplied, applyApplied, applyTooLate},
			wantEntries: map[string]map[string]contract.Change{
				"b": {"name": {Old: json.RawMessage(`"A"`), New: json.RawMessage(`"B"`)}},
				"c": {"name": {Old: json.RawMessage(`"B"`), New: json.RawMessage(`"C"`)}},
				"d": {"name": {Old: json.RawMessage(`"C"`), New: json.RawMessage(`"D"`)}},
			},
			wantLatest: "d",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var st timeline
			if tt.seed != nil {
				st.seedFromSnapshot(tt.seed, tracked)
			}
			max := tt.max
			if max == 0 {
				max = 1000
			}
			got := memStore{}
			var outcomes []string
			for _, o := range tt.in {
				eff := st.apply("7", o, tracked, max)
				outcomes = append(outcomes, eff.outcome)
				got.apply(eff)
			}
			require.Equal(t, tt.wantOutcomes, outcomes)
			changes := map[string]map[string]contract.Change{}
			for id, e := range got {
				changes[id] = e.Changes
			}
			require.Equal(t, tt.wantEntries, changes)
			require.Equal(t, tt.wantLatest, st.Latest.ObservationID)
			if tt.check != nil {
				tt.check(t, got)
			}
		})
	}
}

// testTracked are the profile fields the tests track: the monitor's fields plus verified and protected, as
// PROFILE_TRACKED_FIELDS's default (internal/config).
var testTracked = append(append([]string{}, contract.MonitorProfileFields...), "verified", "protected")
