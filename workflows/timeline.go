package workflows

import (
	"bytes"
	"encoding/json"
	"slices"
	"sort"
	"time"

	"github.com/socialhook/pipeline/contract"
)

// The profile timeline: how a profile entity turns observations that may arrive in any order into one exact
// history. It is pure and deterministic (workflow code), and unit-tested on its own.
//
// The diff is typed and flat on purpose rather than a nested JSON diff from a library: the tracked profile
// fields are scalars (strings, booleans, null), so a field-level comparison of their compact JSON values is
// exact, needs no dependency inside workflow code, and yields {field: {old, new}} directly — the shape
// SocialData itself reports, so reported and computed changes compare field by field.
//
// Model: the entity retains observations sorted by observed-at. A field's value at a point is the value of the
// newest observation at or before it that carried the field (an observation that lacks a field, like a
// trimmed-down author object, changes nothing). A point's history entry is the set of tracked fields whose
// value differs from the previous value. Inserting an out-of-order observation can change the entries of the
// points after it, so apply recomputes the retained history and reports which entries changed or vanished.

// Apply outcomes.
// timeline is the profile entity's state (contract.ProfileState, carried across continue-as-new) with the
// operations that apply observations to it.
type timeline contract.ProfileState

const (
	applyApplied   = "applied"
	applyDuplicate = "duplicate"
	applyTooLate   = "too_late"
)

// profileEffects are what one observation changes in storage.
type profileEffects struct {
	outcome  string
	snapshot *contract.ProfileSnapshot
	upserts  []contract.HistoryEntry
	deletes  []contract.HistoryEntry
}

// trackedFields extracts the tracked fields present in a user object, as compact JSON. encoding/json is
// deterministic for the same input; workflowcheck flags its reflection.
//
//workflowcheck:ignore
func trackedFields(user json.RawMessage, tracked []string) map[string]string {
	var all map[string]json.RawMessage
	if err := json.Unmarshal(user, &all); err != nil {
		return map[string]string{}
	}
	out := make(map[string]string, len(tracked))
	for _, f := range tracked {
		if v, ok := all[f]; ok {
			out[f] = contract.CompactJSON(v)
		}
	}
	return out
}

// apply places o in the state and returns its effects. maxPoints bounds the retained observations: older ones
// are folded into Base.
func (st *timeline) apply(userID string, o contract.Observation, tracked []string, maxPoints int) profileEffects {
	if slices.ContainsFunc(st.Points, func(p contract.ProfilePoint) bool { return p.ObservationID == o.ID }) ||
		(st.Latest != nil && st.Latest.ObservationID == o.ID) {
		st.Ignored++
		return profileEffects{outcome: applyDuplicate}
	}
	if !st.Floor.IsZero() && !o.ObservedAt.After(st.Floor) {
		st.Ignored++
		return profileEffects{outcome: applyTooLate}
	}
	before := st.history(userID)
	p := contract.ProfilePoint{
		ObservationID: o.ID, ObservedAt: o.ObservedAt.UTC(), Source: o.Source,
		Fields: trackedFields(o.User, tracked), Reported: o.Reported,
	}
	i := sort.Search(len(st.Points), func(i int) bool { return pointAfter(st.Points[i], p) })
	st.Points = slices.Insert(st.Points, i, p)
	after := st.history(userID)

	// Both loops below are order-independent: their output is sorted before use.
	eff := profileEffects{outcome: applyApplied}
	//workflowcheck:ignore
	for _, e := range after {
		if old, ok := before[e.ObservationID]; !ok || !sameEntry(old, e) {
			eff.upserts = append(eff.upserts, e)
		}
	}
	//workflowcheck:ignore
	for id, e := range before {
		if _, ok := after[id]; !ok {
			eff.deletes = append(eff.deletes, e)
		}
	}
	sortEntries(eff.upserts)
	sortEntries(eff.deletes)

	if st.Latest == nil || pointAfter(p, contract.ProfilePoint{ObservedAt: st.Latest.ObservedAt, ObservationID: st.Latest.ObservationID}) {
		user := o.User
		if st.Latest != nil {
			user = mergeUser(st.Latest.User, o.User)
		}
		st.Latest = &contract.ProfileSnapshot{
			UserID: userID, ObservedAt: p.ObservedAt, Source: o.Source, ObservationID: o.ID, User: user,
		}
		eff.snapshot = st.Latest
	}
	st.trim(maxPoints)
	return eff
}

// pointAfter orders points by observed-at, then by observation ID so equal times still order deterministically.
func pointAfter(a, b contract.ProfilePoint) bool {
	if !a.ObservedAt.Equal(b.ObservedAt) {
		return a.ObservedAt.After(b.ObservedAt)
	}
	return a.ObservationID > b.ObservationID
}

// history computes the entries of the retained points, keyed by observation ID. Its map iterations only read
// and write other maps, so the result does not depend on the order.
//
//workflowcheck:ignore
func (st *timeline) history(userID string) map[string]contract.HistoryEntry {
	state := make(map[string]string, len(st.Base))
	for k, v := range st.Base {
		state[k] = v
	}
	entries := map[string]contract.HistoryEntry{}
	for i, p := range st.Points {
		baseline := i == 0 && len(st.Base) == 0
		changes := map[string]contract.Change{}
		for field, v := range p.Fields {
			if old, seen := state[field]; seen && old != v {
				changes[field] = contract.Change{Old: json.RawMessage(old), New: json.RawMessage(v)}
			}
			state[field] = v
		}
		if len(changes) == 0 && len(p.Reported) == 0 {
			continue
		}
		entries[p.ObservationID] = contract.HistoryEntry{
			UserID: userID, ObservedAt: p.ObservedAt, Source: p.Source, ObservationID: p.ObservationID,
			Changes: changes, Reported: p.Reported, Baseline: baseline,
			Mismatch: !baseline && p.Reported != nil && !sameChanges(changes, p.Reported),
		}
	}
	return entries
}

// sameChanges reports whether the computed changes agree with the reported ones on every field the provider
// reports on (contract.MonitorProfileFields) or reported.
func sameChanges(computed, reported map[string]contract.Change) bool {
	for field, r := range reported {
		c, ok := computed[field]
		if !ok || contract.CompactJSON(c.Old) != contract.CompactJSON(r.Old) || contract.CompactJSON(c.New) != contract.CompactJSON(r.New) {
			return false
		}
	}
	for field := range computed {
		if _, ok := reported[field]; !ok && slices.Contains(contract.MonitorProfileFields, field) {
			return false
		}
	}
	return true
}

// trim folds the oldest points into Base until at most maxPoints remain. Its map iteration only copies entries
// into another map, so the result does not depend on the order.
//
//workflowcheck:ignore
func (st *timeline) trim(maxPoints int) {
	excess := len(st.Points) - maxPoints
	if maxPoints <= 0 || excess <= 0 {
		return
	}
	if st.Base == nil {
		st.Base = map[string]string{}
	}
	for _, p := range st.Points[:excess] {
		for k, v := range p.Fields {
			st.Base[k] = v
		}
		st.Floor = p.ObservedAt
	}
	st.Points = slices.Clone(st.Points[excess:])
}

// seedFromSnapshot starts an entity from a stored snapshot: its fields become the base, and anything observed
// at or before it is too late.
func (st *timeline) seedFromSnapshot(s *contract.ProfileSnapshot, tracked []string) {
	st.Base = trackedFields(s.User, tracked)
	st.Floor = s.ObservedAt
	st.Latest = s
}

// mergeUser overlays the fields of a newer user object on the previous snapshot, so a partial observation (an
// X profile.update.bio carries one field) updates that field and keeps the rest. Full objects replace every
// field they carry.
//
//workflowcheck:ignore
func mergeUser(prev, next json.RawMessage) json.RawMessage {
	var base, over map[string]json.RawMessage
	if json.Unmarshal(prev, &base) != nil || json.Unmarshal(next, &over) != nil {
		return next
	}
	for k, v := range over {
		base[k] = v
	}
	merged, err := json.Marshal(base)
	if err != nil {
		return next
	}
	return merged
}

// sameEntry compares two entries through their JSON encoding (map keys sorted: deterministic).
//
//workflowcheck:ignore
func sameEntry(a, b contract.HistoryEntry) bool {
	ja, errA := json.Marshal(a)
	jb, errB := json.Marshal(b)
	return errA == nil && errB == nil && bytes.Equal(ja, jb)
}

func sortEntries(es []contract.HistoryEntry) {
	sort.Slice(es, func(i, j int) bool {
		return pointAfter(contract.ProfilePoint{ObservedAt: es[j].ObservedAt, ObservationID: es[j].ObservationID},
			contract.ProfilePoint{ObservedAt: es[i].ObservedAt, ObservationID: es[i].ObservationID})
	})
}

// latestAt returns the newest observed-at, or the zero time.
func (st *timeline) latestAt() time.Time {
	if st.Latest == nil {
		return time.Time{}
	}
	return st.Latest.ObservedAt
}
