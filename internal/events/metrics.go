package events

import (
	"errors"

	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the worker's Prometheus collectors, all labelled by handler.
type metrics struct {
	pending   *prometheus.GaugeVec
	oldest    *prometheus.GaugeVec
	processed *prometheus.CounterVec
	failed    *prometheus.CounterVec
	dead      *prometheus.CounterVec
	duration  *prometheus.HistogramVec
}

func newMetrics(reg prometheus.Registerer) *metrics {
	labels := []string{"handler"}
	m := &metrics{
		pending: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "artifortress_events_pending",
			Help: "Events not yet handled (waiting, backing off or running, plus not yet discovered), by handler. Refreshed every few seconds.",
		}, labels),
		oldest: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "artifortress_events_oldest_pending_seconds",
			Help: "Age of the oldest event not yet handled (0 when none), by handler. Refreshed every few seconds.",
		}, labels),
		processed: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "artifortress_events_processed_total",
			Help: "Events handled successfully by this process, by handler.",
		}, labels),
		failed: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "artifortress_events_failed_total",
			Help: "Failed attempts (errors, panics, timeouts) in this process, by handler.",
		}, labels),
		dead: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "artifortress_events_dead_total",
			Help: "Deliveries this process moved to the dead-letter state, by handler.",
		}, labels),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "artifortress_events_handle_duration_seconds",
			Help:    "Time of one Handle call, by handler.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
		}, labels),
	}
	if reg != nil {
		m.pending = register(reg, m.pending)
		m.oldest = register(reg, m.oldest)
		m.processed = register(reg, m.processed)
		m.failed = register(reg, m.failed)
		m.dead = register(reg, m.dead)
		m.duration = register(reg, m.duration)
	}
	return m
}

// register registers c, or returns the equal collector already registered
// (a second Worker on the same registry shares the series).
func register[C prometheus.Collector](reg prometheus.Registerer, c C) C {
	if err := reg.Register(c); err != nil {
		var are prometheus.AlreadyRegisteredError
		if errors.As(err, &are) {
			if existing, ok := are.ExistingCollector.(C); ok {
				return existing
			}
		}
		panic(err)
	}
	return c
}

// init creates the series of a handler, so that they are exported (at 0)
// before its first event.
func (m *metrics) init(handler string) {
	m.pending.WithLabelValues(handler)
	m.oldest.WithLabelValues(handler)
	m.processed.WithLabelValues(handler)
	m.failed.WithLabelValues(handler)
	m.dead.WithLabelValues(handler)
	m.duration.WithLabelValues(handler)
}
