// Package jsonobject owns the JSON object the providers' payloads are read as: raw fields, so unknown fields
// survive re-encoding and ids above 2^53 stay exact. SocialData's monitor events and X's deliveries are both
// parsed through it.
package jsonobject

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strings"
)

// ErrMalformed is returned for a body or field that is not a JSON object.
var ErrMalformed = errors.New("body is not a JSON object")

var digits = regexp.MustCompile(`^[0-9]{1,20}$`)

// Object is a JSON object kept as raw fields.
type Object map[string]json.RawMessage

// Parse decodes a JSON object; anything else is ErrMalformed.
func Parse(raw json.RawMessage) (Object, error) {
	trimmed := bytes.TrimSpace(raw)
	if len(trimmed) == 0 || trimmed[0] != '{' {
		return nil, ErrMalformed
	}
	var o Object
	if err := json.Unmarshal(trimmed, &o); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	return o, nil
}

// ID returns the object's id as a decimal string: id_str when present, else a numeric (or numeric string) id,
// exact whatever its size. It returns "" when there is no valid id.
func (o Object) ID() string {
	for _, key := range []string{"id_str", "id"} {
		raw := bytes.TrimSpace(o[key])
		if len(raw) == 0 || IsNull(raw) {
			continue
		}
		s := string(raw)
		if raw[0] == '"' {
			if err := json.Unmarshal(raw, &s); err != nil {
				continue
			}
			s = strings.TrimSpace(s)
		}
		if digits.MatchString(s) {
			return s
		}
	}
	return ""
}

// Child returns the object under key, or nil when absent, null or not an object.
func (o Object) Child(key string) Object {
	c, err := Parse(o[key])
	if err != nil {
		return nil
	}
	return c
}

// Keys returns the object's keys, sorted.
func (o Object) Keys() []string {
	keys := make([]string, 0, len(o))
	for k := range o {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// JSON encodes the object (keys sorted).
func (o Object) JSON() []byte {
	b, _ := json.Marshal(map[string]json.RawMessage(o))
	return b
}

// IsNull reports whether raw is empty or JSON null.
func IsNull(raw json.RawMessage) bool {
	t := bytes.TrimSpace(raw)
	return len(t) == 0 || bytes.Equal(t, []byte("null"))
}
