package storage

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"path"
	"regexp"
	"strconv"
	"time"
)

// The object layout. README.md documents the same table; keep them in step.
//
//	raw/<source>/<yyyy>/<mm>/<dd>/<workflow-id>.json   every accepted webhook body, as received
//	datafiles/<job_id>/<name>                          a job's datafile, byte-identical to the source
//	datafiles/<job_id>/manifest.json                   the job's outcome: size, sha256, content type, source
//	                                                   URL without its query, fetched-at; or the error
//	tweets/<tweet_id>.json                             a tweet as received (also quoted/retweeted ones)
//	follows/<follower_id>/<followed_id>.json           a follow edge a following monitor reported
//	users/<user_id>/profile.json                       the user's newest observed profile
//	users/<user_id>/history/<observed-at>-<hash>.json  one change of the user's tracked fields each

// RawKey returns the key of a raw webhook body received at receivedAt (UTC date) for workflowID.
func RawKey(source string, receivedAt time.Time, workflowID string) string {
	t := receivedAt.UTC()
	return fmt.Sprintf("raw/%s/%04d/%02d/%02d/%s.json", source, t.Year(), int(t.Month()), t.Day(), workflowID)
}

// DatafilePrefix returns the prefix holding job jobID's datafile and manifest.
func DatafilePrefix(jobID int64) string {
	return "datafiles/" + strconv.FormatInt(jobID, 10) + "/"
}

// DatafileKey returns the key of job jobID's datafile named name (see DatafileName).
func DatafileKey(jobID int64, name string) string {
	return DatafilePrefix(jobID) + name
}

// ManifestKey returns the key of job jobID's manifest.
func ManifestKey(jobID int64) string {
	return DatafilePrefix(jobID) + "manifest.json"
}

var unsafeNameChars = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

// DatafileName derives a safe object name from the datafile URL's path: its last element with anything outside
// [A-Za-z0-9._-] replaced, never "manifest.json", never empty ("datafile").
func DatafileName(urlPath string) string {
	name := unsafeNameChars.ReplaceAllString(path.Base(urlPath), "_")
	switch name {
	case "", ".", "..", "_", "/", "manifest.json":
		return "datafile"
	}
	if len(name) > 128 {
		name = name[len(name)-128:]
	}
	return name
}

// TweetKey returns the key of tweet id's normalized object: one per tweet however many monitors saw it.
func TweetKey(id string) string { return "tweets/" + id + ".json" }

// FollowKey returns the key of the follow edge follower → followed, as a monitor reported it.
func FollowKey(followerID, followedID string) string {
	return "follows/" + followerID + "/" + followedID + ".json"
}

// ProfileKey returns the key of user id's current profile snapshot.
func ProfileKey(userID string) string { return "users/" + userID + "/profile.json" }

// HistoryPrefix returns the prefix of user id's history entries; listing it returns them in observed-at order.
func HistoryPrefix(userID string) string { return "users/" + userID + "/history/" }

// historyTime is fixed-width UTC, so keys sort lexically in time order.
const historyTime = "20060102T150405.000000000Z"

// HistoryKey returns the key of the history entry of observation observationID of userID observed at
// observedAt: users/<id>/history/<yyyymmddThhmmss.nnnnnnnnnZ>-<8 hex of sha256(observation id)>.json.
func HistoryKey(userID string, observedAt time.Time, observationID string) string {
	sum := sha256.Sum256([]byte(observationID))
	return HistoryPrefix(userID) + observedAt.UTC().Format(historyTime) + "-" + hex.EncodeToString(sum[:4]) + ".json"
}

// XDeliveriesKey returns the key of the record of which subscribed users X delivered an event for.
func XDeliveriesKey(workflowID string) string { return "x/deliveries/" + workflowID + ".json" }

// FollowingSetKey returns the key of the following set a following monitor's last poll saw.
func FollowingSetKey(monitorID string) string { return "following/" + monitorID + ".json" }
