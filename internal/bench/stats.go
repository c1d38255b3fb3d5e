package bench

import (
	"fmt"
	"sort"
	"time"
)

// result is one measured cell.
type result struct {
	bytes     int64
	ops       int
	wall      time.Duration
	latencies []time.Duration
}

// plus is r and o measured as one cell: their operations, bytes and
// latencies together over the sum of their walls.
func (r result) plus(o result) result {
	return result{bytes: r.bytes + o.bytes, ops: r.ops + o.ops, wall: r.wall + o.wall,
		latencies: append(append([]time.Duration(nil), r.latencies...), o.latencies...)}
}

func (r result) mbps() float64 {
	if r.wall <= 0 {
		return 0
	}
	return float64(r.bytes) / 1e6 / r.wall.Seconds()
}

func (r result) opsPerSec() float64 {
	if r.wall <= 0 {
		return 0
	}
	return float64(r.ops) / r.wall.Seconds()
}

func (r result) percentile(p float64) time.Duration {
	if len(r.latencies) == 0 {
		return 0
	}
	l := append([]time.Duration(nil), r.latencies...)
	sort.Slice(l, func(i, j int) bool { return l[i] < l[j] })
	i := int(p*float64(len(l))+0.5) - 1
	return l[max(0, min(i, len(l)-1))]
}

func human(n int64) string {
	switch {
	case n >= 1<<30 && n%(1<<30) == 0:
		return fmt.Sprintf("%d GiB", n>>30)
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d B", n)
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2f ms", float64(d.Microseconds())/1000) }
