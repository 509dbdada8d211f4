package storage

import (
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
