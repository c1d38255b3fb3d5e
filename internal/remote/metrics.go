package remote

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// What was fetched, and how a request for it ended.
const (
	kindMetadata = "metadata"
	kindArtifact = "artifact"

	resultHit         = "hit"         // served from the cache
	resultMiss        = "miss"        // fetched from the upstream
	resultRevalidated = "revalidated" // the upstream said the cached copy is current
	resultStale       = "stale"       // the upstream failed; the old copy was served
	resultError       = "error"       // the upstream failed and nothing was served
)

type metrics struct {
	results  *prometheus.CounterVec
	upstream *prometheus.HistogramVec
}

func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		results: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "artifortress_remote_requests_total",
			Help: "Requests of remote repositories for upstream content by repository, kind (metadata, artifact) and result (hit, miss, revalidated, stale, error).",
		}, []string{"repo", "kind", "result"}),
		upstream: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "artifortress_remote_upstream_seconds",
			Help:    "Time upstream requests of remote repositories took, by repository and kind.",
			Buckets: prometheus.ExponentialBuckets(0.005, 2.5, 10),
		}, []string{"repo", "kind"}),
	}
	if reg != nil {
		reg.MustRegister(m.results, m.upstream)
	}
	return m
}

func (m *metrics) result(repo, kind, result string) {
	m.results.WithLabelValues(repo, kind, result).Inc()
}

func (m *metrics) latency(repo, kind string, d time.Duration) {
	m.upstream.WithLabelValues(repo, kind).Observe(d.Seconds())
}
