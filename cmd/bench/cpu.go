package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"time"
)

// cpuSnapshot is the machine's CPU time so far (/proc/stat) and every process's, summed by command name
// (/proc/<pid>/stat), in clock ticks. Linux only; elsewhere it is empty.
type cpuSnapshot struct {
	at         time.Time
	busy, all  int64
	iowait     int64
	steal      int64
	byCommand  map[string]int64
	readFailed bool
}

// clockTicks is USER_HZ, 100 on every Linux architecture Go supports.
const clockTicks = 100

func takeCPU() cpuSnapshot {
	s := cpuSnapshot{at: time.Now(), byCommand: map[string]int64{}}
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		s.readFailed = true
		return s
	}
	line, _, _ := strings.Cut(string(b), "\n")
	// cpu user nice system idle iowait irq softirq steal guest guest_nice: guest time is in user already.
	fields := strings.Fields(line)
	if len(fields) < 9 {
		s.readFailed = true
		return s
	}
	for i, f := range fields[1:9] {
		n, _ := strconv.ParseInt(f, 10, 64)
		s.all += n
		switch i {
		case 3: // idle
		case 4:
			s.iowait += n
		case 7:
			s.steal += n
		default:
			s.busy += n
		}
	}
	stats, _ := filepath.Glob("/proc/[0-9]*/stat")
	for _, p := range stats {
		b, err := os.ReadFile(p)
		if err != nil {
			continue // exited meanwhile
		}
		// pid (comm) state ppid ... utime stime: the fields after ") " are numbered from state (3).
		open, end := bytes.IndexByte(b, '('), bytes.LastIndexByte(b, ')')
		if open < 0 || end < open {
			continue
		}
		f := strings.Fields(string(b[end+1:]))
		if len(f) < 13 {
			continue
		}
		utime, _ := strconv.ParseInt(f[11], 10, 64)
		stime, _ := strconv.ParseInt(f[12], 10, 64)
		name := string(b[open+1 : end])
		if strings.HasPrefix(name, "kworker/") {
			name = "kworker" // kernel workers, named after their current work
		}
		s.byCommand[name] += utime + stime
	}
	return s
}

// cpuSince describes the CPU used from s to now: the machine's busy, iowait and steal (time a VM's host gave to
// others) shares of all its cores, and the commands that used at least 5 % of one core, in percent of one core
// (200 % = two cores flat out). Commands that are not the bench's (e.g. another session's tests) show up too.
func (s cpuSnapshot) cpuSince() string {
	e := takeCPU()
	if s.readFailed || e.readFailed || e.all == s.all {
		return "CPU: not measured"
	}
	secs := e.at.Sub(s.at).Seconds()
	type use struct {
		name string
		pct  float64
	}
	var uses []use
	for name, t := range e.byCommand {
		if pct := float64(t-s.byCommand[name]) / clockTicks / secs * 100; pct >= 5 {
			uses = append(uses, use{name, pct})
		}
	}
	sort.Slice(uses, func(i, j int) bool { return uses[i].pct > uses[j].pct })
	parts := make([]string, len(uses))
	for i, u := range uses {
		parts[i] = fmt.Sprintf("%s %.0f%%", u.name, u.pct)
	}
	all := float64(e.all - s.all)
	return fmt.Sprintf("CPU: machine %.0f%% busy, %.0f%% iowait, %.0f%% steal of %d cores; by process (%% of one core): %s",
		float64(e.busy-s.busy)/all*100, float64(e.iowait-s.iowait)/all*100, float64(e.steal-s.steal)/all*100,
		runtime.NumCPU(), strings.Join(parts, ", "))
}
