package e2e

import (
	"bufio"
	"bytes"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"
)

// memWatch follows a server process's resident memory from /proc: its
// start-up peak (VmHWM, as servertest.Process.PeakRSS reads it) and, step
// by step, the peak of each step, measured by resetting VmHWM to the
// current RSS before the step (writing 5 to clear_refs, Linux ≥ 4.0). It
// also counts the CPU time the server spent on each step, which, unlike
// the wall time, does not depend on what else the machine runs, and the
// bytes its Go heap allocated (from its /metrics): the churn of buffers
// that the garbage collector keeps out of the resident size.
type memWatch struct {
	pid     int
	metrics string // the server's /metrics URL
	startup int64  // VmHWM once the server listened
	steps   []memStep
}

// memStep is what one step cost the server.
type memStep struct {
	name             string
	before, peak, at int64 // RSS at the start, VmHWM during, RSS at the end
	cpu              time.Duration
	allocated        int64 // with one /metrics answer: some hundreds of KiB
}

// newMemWatch watches process pid, which serves base, from now on.
func newMemWatch(t testing.TB, pid int, base string) *memWatch {
	t.Helper()
	m := &memWatch{pid: pid, metrics: base + "/metrics"}
	m.startup, _ = m.read(t)
	return m
}

// read returns the process's VmHWM and VmRSS in bytes.
func (m *memWatch) read(t testing.TB) (hwm, rss int64) {
	t.Helper()
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", m.pid))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(raw), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			fmt.Sscanf(strings.TrimSpace(v), "%d kB", &hwm)
		}
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			fmt.Sscanf(strings.TrimSpace(v), "%d kB", &rss)
		}
	}
	if hwm == 0 || rss == 0 {
		t.Fatalf("no VmHWM or VmRSS in /proc/%d/status", m.pid)
	}
	return hwm << 10, rss << 10
}

// step runs fn and records the server's peak memory while it ran.
func (m *memWatch) step(t testing.TB, name string, fn func()) {
	t.Helper()
	if err := os.WriteFile(fmt.Sprintf("/proc/%d/clear_refs", m.pid), []byte("5"), 0); err != nil {
		t.Fatalf("reset VmHWM: %v", err)
	}
	_, before := m.read(t)
	cpu, allocated := m.cpu(t), m.allocated(t)
	fn()
	peak, at := m.read(t)
	m.steps = append(m.steps, memStep{name: name, before: before, peak: peak, at: at,
		cpu: m.cpu(t) - cpu, allocated: m.allocated(t) - allocated})
}

// allocated is go_memstats_alloc_bytes_total, the bytes the server's heap
// has allocated so far.
func (m *memWatch) allocated(t testing.TB) int64 {
	t.Helper()
	resp, err := http.Get(m.metrics)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "go_memstats_alloc_bytes_total "); ok {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				t.Fatalf("go_memstats_alloc_bytes_total %q: %v", v, err)
			}
			return int64(f)
		}
	}
	t.Fatalf("no go_memstats_alloc_bytes_total in %s (%v)", m.metrics, sc.Err())
	return 0
}

// cpu is the user and system time the process has used so far.
func (m *memWatch) cpu(t testing.TB) time.Duration {
	t.Helper()
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", m.pid))
	if err != nil {
		t.Fatal(err)
	}
	// The fields after the command's closing parenthesis, from state
	// (field 3): utime and stime are fields 14 and 15, in USER_HZ ticks,
	// 100 a second on Linux.
	i := bytes.LastIndexByte(raw, ')')
	f := strings.Fields(string(raw[i+1:]))
	if len(f) < 13 {
		t.Fatalf("/proc/%d/stat: %q", m.pid, raw)
	}
	utime, _ := strconv.ParseInt(f[11], 10, 64)
	stime, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(utime+stime) * 10 * time.Millisecond
}

// mib formats bytes as MiB.
func mib(n int64) string { return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20)) }
