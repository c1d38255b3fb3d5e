package e2e

import (
	"bytes"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/artifortress/artifortress/internal/servertest"
	"github.com/artifortress/artifortress/internal/testpg"
)

// stallingReceiver is a webhook receiver that answers the first few
// deliveries and then holds every request open until released: a worker
// killed then dies in the middle of a batch, with deliveries in flight.
type stallingReceiver struct {
	mu       sync.Mutex
	seen     map[string]int // webhook-id → deliveries
	total    int
	inFlight int
	answerN  int
	release  chan struct{}
	stalled  chan struct{} // closed when a request is held
	once     sync.Once
}

func newStallingReceiver(answerN int) *stallingReceiver {
	return &stallingReceiver{seen: map[string]int{}, answerN: answerN, release: make(chan struct{}), stalled: make(chan struct{})}
}

func (s *stallingReceiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.total++
	s.seen[r.Header.Get("webhook-id")]++
	hold := s.total > s.answerN
	if hold {
		s.inFlight++
	}
	s.mu.Unlock()
	if hold {
		s.once.Do(func() { close(s.stalled) })
		select {
		case <-s.release:
		case <-r.Context().Done():
		}
		s.mu.Lock()
		s.inFlight--
		s.mu.Unlock()
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *stallingReceiver) counts() (distinct, total, inFlight int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.seen), s.total, s.inFlight
}

// TestWorkerKilledMidBatch publishes versions while no worker runs, starts
// `artifortress worker`, and SIGKILLs it while webhook deliveries of its
// batch are in flight. A second worker takes the events over once the dead
// one's leases end: every event reaches the receiver and the search index,
// none is lost, and the only repeats are deliveries the killed worker had
// in flight (same webhook-id, so a receiver that dedupes sees each once).
func TestWorkerKilledMidBatch(t *testing.T) {
	if testing.Short() {
		t.Skip("kills a worker process")
	}
	for _, backend := range []string{"sqlite", "postgres"} {
		t.Run(backend, func(t *testing.T) {
			var env []string
			if backend == "postgres" {
				env = append(env, "ARTIFORTRESS_DATABASE_URL="+testpg.URL(t))
			}
			testWorkerKilledMidBatch(t, env)
		})
	}
}

func testWorkerKilledMidBatch(t *testing.T, env []string) {
	const versions = 40
	rcv := newStallingReceiver(5)
	srv := httptest.NewServer(rcv)
	defer srv.Close()
	defer func() {
		select {
		case <-rcv.release:
		default:
			close(rcv.release)
		}
	}()
	dataDir := t.TempDir()
	args := []string{"--outbound-allow", "127.0.0.1", "--event-lease", "2s"}
	node := servertest.StartProcess(t, dataDir, env, append([]string{"--no-worker"}, args...)...)
	c := newClient(node.URL, adminToken(t, dataDir))
	c.mustJSON(t, 201, "POST", "/v1/repos", map[string]any{"key": "gen", "type": "local", "format": "generic"}, nil)
	c.mustJSON(t, 201, "POST", "/v1/webhooks", map[string]any{"url": srv.URL, "events": []string{"version.published"}}, nil)
	data := []byte("the one file")
	if code, body, err := c.do("PUT", "/v1/repos/gen/blobs", bytes.NewReader(data), int64(len(data))); err != nil || code != 201 {
		t.Fatalf("blob: %d %v %s", code, err, body)
	}
	for i := range versions {
		if !publishOnce(c, "crashy", fmt.Sprintf("1.0.%d", i), []string{digestOf(data)}) {
			t.Fatalf("publish %d refused", i)
		}
	}

	w := servertest.StartWorker(t, dataDir, env, args...)
	select {
	case <-rcv.stalled:
	case <-time.After(60 * time.Second):
		t.Fatalf("the worker delivered nothing\n%s", w.Logs())
	}
	time.Sleep(100 * time.Millisecond) // let the rest of the batch's concurrent deliveries arrive
	w.Kill(t)
	distinctAtKill, _, inFlightAtKill := rcv.counts()
	if inFlightAtKill == 0 || distinctAtKill >= versions {
		t.Fatalf("not killed mid-batch: %d delivered, %d in flight", distinctAtKill, inFlightAtKill)
	}
	close(rcv.release)

	w = servertest.StartWorker(t, dataDir, env, args...)
	deadline := time.Now().Add(90 * time.Second)
	for {
		var stats struct {
			Items []struct {
				Handler       string
				Pending, Dead int
			}
		}
		c.mustJSON(t, 200, "GET", "/v1/admin/events/stats", nil, &stats)
		settled := len(stats.Items) > 0
		for _, s := range stats.Items {
			if s.Dead != 0 {
				t.Fatalf("dead deliveries after the crash: %+v", stats.Items)
			}
			settled = settled && s.Pending == 0
		}
		if distinct, _, _ := rcv.counts(); settled && distinct == versions {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("events not settled: %+v, receiver %d distinct\n%s", stats.Items, distinct(rcv), w.Logs())
		}
		time.Sleep(200 * time.Millisecond)
	}
	w.Stop(t)

	distinctN, total, _ := rcv.counts()
	if distinctN != versions {
		t.Errorf("%d distinct deliveries for %d events", distinctN, versions)
	}
	if repeats := total - distinctN; repeats > inFlightAtKill {
		t.Errorf("%d repeated deliveries, but only %d were in flight when the worker died", repeats, inFlightAtKill)
	}
	var hits struct{ Items []struct{ Version string } }
	c.mustJSON(t, 200, "GET", "/v1/repos/gen/search?q=crashy&limit=100", nil, &hits)
	if len(hits.Items) != versions {
		t.Errorf("search finds %d versions, want %d", len(hits.Items), versions)
	}
	t.Logf("killed with %d delivered and %d in flight; %d deliveries in all for %d events", distinctAtKill, inFlightAtKill, total, versions)
}

func distinct(r *stallingReceiver) int {
	n, _, _ := r.counts()
	return n
}
