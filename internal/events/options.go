package events

import (
	"math/rand/v2"
	"time"
)

// Options tune a Worker. Zero fields take the defaults shown.
type Options struct {
	// Lease is how long a claimed event stays reserved for this worker
	// (30s). If the worker stops, another one takes the event over once the
	// lease has expired.
	Lease time.Duration
	// HandlerTimeout bounds one Handle call (10s). It must be shorter than
	// Lease; New lowers it to half the lease otherwise.
	HandlerTimeout time.Duration
	// MaxAttempts is how many attempts an event gets per handler before its
	// delivery goes dead (10).
	MaxAttempts int
	// BackoffBase and BackoffCap shape the retry delay after failed attempt
	// n: a uniformly random duration in [0, min(BackoffCap, BackoffBase·2^(n-1)))
	// ("full jitter"; 1s and 10m).
	BackoffBase time.Duration
	BackoffCap  time.Duration
	// BatchSize is how many deliveries one claim takes (32).
	BatchSize int
	// Concurrency is how many Handle calls of a batch run at once (4).
	Concurrency int
	// DiscoverLimit is how many new outbox events per handler one pass
	// turns into deliveries (1000).
	DiscoverLimit int
	// PollInterval is how long Run waits when there was nothing to do (1s).
	PollInterval time.Duration
	// StatsInterval is how often the pending gauges are recomputed from the
	// store, at most (5s).
	StatsInterval time.Duration
	// WorkerID names this worker in leases and logs; "" picks
	// "<host>-<pid>-<random>", unique per process and per Worker.
	WorkerID string
	// Now is the clock (time.Now). Leases, due times and ages use it.
	Now func() time.Time
	// Rand returns a uniform float64 in [0, 1) for the backoff jitter
	// (math/rand/v2.Float64).
	Rand func() float64
}

// Defaults for Options.
const (
	DefaultLease          = 30 * time.Second
	DefaultHandlerTimeout = 10 * time.Second
	DefaultMaxAttempts    = 10
	DefaultBackoffBase    = time.Second
	DefaultBackoffCap     = 10 * time.Minute
	DefaultBatchSize      = 32
	DefaultConcurrency    = 4
	DefaultDiscoverLimit  = 1000
	DefaultPollInterval   = time.Second
	DefaultStatsInterval  = 5 * time.Second
)

// withDefaults fills zero fields and makes the combination safe.
func (o Options) withDefaults() Options {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	defInt := func(n *int, v int) {
		if *n <= 0 {
			*n = v
		}
	}
	def(&o.Lease, DefaultLease)
	def(&o.HandlerTimeout, DefaultHandlerTimeout)
	def(&o.BackoffBase, DefaultBackoffBase)
	def(&o.BackoffCap, DefaultBackoffCap)
	def(&o.PollInterval, DefaultPollInterval)
	def(&o.StatsInterval, DefaultStatsInterval)
	defInt(&o.MaxAttempts, DefaultMaxAttempts)
	defInt(&o.BatchSize, DefaultBatchSize)
	defInt(&o.Concurrency, DefaultConcurrency)
	defInt(&o.DiscoverLimit, DefaultDiscoverLimit)
	if o.HandlerTimeout >= o.Lease {
		o.HandlerTimeout = o.Lease / 2
	}
	if o.BackoffCap < o.BackoffBase {
		o.BackoffCap = o.BackoffBase
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Rand == nil {
		o.Rand = rand.Float64
	}
	return o
}

// BackoffLimit is the upper bound of the delay after failed attempt n
// (n ≥ 1): min(cap, base·2^(n-1)).
func BackoffLimit(base, cap time.Duration, n int) time.Duration {
	limit := base
	for i := 1; i < n && limit < cap; i++ {
		limit *= 2
	}
	return min(limit, cap)
}

// backoff is the delay after failed attempt n: full jitter over BackoffLimit.
func (o Options) backoff(n int) time.Duration {
	return time.Duration(o.Rand() * float64(BackoffLimit(o.BackoffBase, o.BackoffCap, n)))
}
