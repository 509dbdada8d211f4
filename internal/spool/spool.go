// Package spool owns the ingress's fallback store: when Temporal cannot take a start, the accepted webhook is
// written here durably (fsync'd before the 200) and a drainer starts its workflows once Temporal is back. The
// workflow IDs are the same either way, so a spooled event still runs exactly once.
//
// The store is bbolt (etcd's embedded B+tree): a single file, ACID transactions with an fsync per commit, and
// Batch, which folds concurrent writers into one commit — one fsync for many webhooks under load. It needs no
// server, which matters because it is used exactly when a server is down. Each ingress replica has its own
// file (bbolt takes an exclusive lock).
package spool

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync/atomic"
	"time"

	bolt "go.etcd.io/bbolt"
	"golang.org/x/sync/errgroup"
)

var (
	pending = []byte("pending")
	dead    = []byte("dead")
)

// Record is one accepted webhook waiting for Temporal.
type Record struct {
	// Seq orders records (assigned by Put).
	Seq uint64 `json:"seq"`
	// Source is the route it came in by: "socialdata" or "x" (already verified).
	Source     string    `json:"source"`
	Body       []byte    `json:"body"`
	ReceivedAt time.Time `json:"received_at"`
}

// Spool is an open spool file.
type Spool struct {
	db *bolt.DB
}

// Open opens (or creates) the spool file at path.
func Open(path string) (*Spool, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return nil, fmt.Errorf("spool dir: %w", err)
	}
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: 5 * time.Second})
	if err != nil {
		return nil, fmt.Errorf("open spool %s: %w", path, err)
	}
	if err := db.Update(func(tx *bolt.Tx) error {
		for _, b := range [][]byte{pending, dead} {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("init spool: %w", err)
	}
	// Concurrent Puts wait at most this long to share a commit: enough to batch a burst into one fsync,
	// short enough not to dominate a webhook's latency.
	db.MaxBatchDelay = 2 * time.Millisecond
	return &Spool{db: db}, nil
}

// Close closes the file.
func (s *Spool) Close() error { return s.db.Close() }

// Put stores r durably and returns once it is on disk. Concurrent Puts share one commit.
func (s *Spool) Put(r Record) error {
	return s.db.Batch(func(tx *bolt.Tx) error {
		b := tx.Bucket(pending)
		seq, err := b.NextSequence()
		if err != nil {
			return err
		}
		r.Seq = seq
		v, err := json.Marshal(r)
		if err != nil {
			return err
		}
		return b.Put(key(seq), v)
	})
}

// Len returns how many records wait.
func (s *Spool) Len() int {
	n := 0
	_ = s.db.View(func(tx *bolt.Tx) error {
		n = tx.Bucket(pending).Stats().KeyN
		return nil
	})
	return n
}

// ErrStop, returned by a Drain callback, stops draining and keeps the record.
var ErrStop = errors.New("stop draining")

// Drain hands the oldest waiting records to fn, at most limit of them and at most workers at once. A record is
// removed once fn returns nil; fn returning ErrStop (Temporal down again) keeps it and stops handing out more
// (those already handed out finish); any other error moves the record to the dead bucket (kept for an
// operator, never dropped). The outcomes of a round are committed together, in one transaction. It returns how
// many records left the pending bucket.
//
// A record whose fn succeeded but whose removal did not commit (a crash in between) is handed out again: fn must
// be idempotent, which starts under a deterministic workflow ID are.
func (s *Spool) Drain(limit, workers int, fn func(Record) error) (int, error) {
	var batch []Record
	if err := s.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(pending).Cursor()
		for k, v := c.First(); k != nil && len(batch) < limit; k, v = c.Next() {
			var r Record
			if err := json.Unmarshal(v, &r); err != nil {
				return fmt.Errorf("decode spool record %d: %w", binary.BigEndian.Uint64(k), err)
			}
			batch = append(batch, r)
		}
		return nil
	}); err != nil {
		return 0, err
	}
	// outcome[i]: nil = started (remove), ErrStop = keep (also for records never handed out), other = dead.
	outcome := make([]error, len(batch))
	var stopped atomic.Bool
	var g errgroup.Group
	g.SetLimit(max(1, workers))
	for i, r := range batch {
		if stopped.Load() {
			outcome[i] = ErrStop
			continue
		}
		g.Go(func() error {
			if stopped.Load() {
				outcome[i] = ErrStop
				return nil
			}
			outcome[i] = fn(r)
			if errors.Is(outcome[i], ErrStop) {
				stopped.Store(true)
			}
			return nil
		})
	}
	_ = g.Wait()
	done := 0
	err := s.db.Update(func(tx *bolt.Tx) error {
		done = 0
		for i, r := range batch {
			if errors.Is(outcome[i], ErrStop) {
				continue
			}
			v := tx.Bucket(pending).Get(key(r.Seq))
			if v == nil {
				continue
			}
			if outcome[i] != nil {
				if err := tx.Bucket(dead).Put(key(r.Seq), v); err != nil {
					return err
				}
			}
			if err := tx.Bucket(pending).Delete(key(r.Seq)); err != nil {
				return err
			}
			done++
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("remove drained spool records: %w", err)
	}
	return done, nil
}

// Dead returns how many records could not be processed and were set aside.
func (s *Spool) Dead() int {
	n := 0
	_ = s.db.View(func(tx *bolt.Tx) error {
		n = tx.Bucket(dead).Stats().KeyN
		return nil
	})
	return n
}

func key(seq uint64) []byte {
	k := make([]byte, 8)
	binary.BigEndian.PutUint64(k, seq)
	return k
}
