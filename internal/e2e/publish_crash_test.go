package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/artifortress/artifortress/internal/meta"
	"github.com/artifortress/artifortress/internal/servertest"
)

// TestCrashDuringPublishes kills the server with SIGKILL, again and again,
// while clients run whole publishes (draft, entries, manifest, publish).
// Afterwards every version is either a draft with no event, or published
// with its entries, its manifest, exactly one version.published event and
// one audit record: never anything in between.
func TestCrashDuringPublishes(t *testing.T) {
	if testing.Short() {
		t.Skip("kills a server process repeatedly")
	}
	dataDir := t.TempDir()
	p := servertest.StartProcess(t, dataDir, nil)
	token := adminToken(t, dataDir)
	c := newClient(p.URL, token)
	c.mustJSON(t, 201, "POST", "/v1/repos", map[string]any{"key": "gen", "type": "local", "format": "generic"}, nil)
	var digests []string
	for i := range 4 {
		data := []byte(fmt.Sprintf("file %d", i))
		code, body, err := c.do("PUT", "/v1/repos/gen/blobs", bytes.NewReader(data), int64(len(data)))
		if err != nil || code != 201 {
			t.Fatalf("blob: %d %v %s", code, err, body)
		}
		digests = append(digests, digestOf(data))
	}
	p.Stop(t)

	acknowledged := 0
	for round := range 8 {
		p = servertest.StartProcess(t, dataDir, nil)
		c = newClient(p.URL, token)
		ctx, cancel := context.WithCancel(context.Background())
		var mu sync.Mutex
		var wg sync.WaitGroup
		for w := range 4 {
			wg.Go(func() {
				for i := 0; ctx.Err() == nil; i++ {
					if publishOnce(c, fmt.Sprintf("pkg-%d-%d", round, w), fmt.Sprintf("1.0.%d", i), digests) {
						mu.Lock()
						acknowledged++
						mu.Unlock()
					}
				}
			})
		}
		time.Sleep(time.Duration(150+rand.IntN(350)) * time.Millisecond)
		p.Kill(t)
		cancel()
		wg.Wait()
	}
	if acknowledged == 0 {
		t.Fatal("no publish was acknowledged; the test proves nothing")
	}

	db, err := meta.Open(context.Background(), "", dataDir)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	events, err := db.ListEvents(ctx, "version.published", 0, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	eventFor := map[string]int{}
	for _, e := range events {
		eventFor[e.Aggregate]++
	}
	audits, err := db.ListAudit(ctx, meta.AuditFilter{Action: "version.publish"})
	if err != nil {
		t.Fatal(err)
	}
	auditFor := map[string]int{}
	for _, a := range audits {
		auditFor[a.Resource]++
	}
	published, drafts := 0, 0
	pkgs, err := db.ListPackages(ctx, meta.PackageFilter{Repo: "gen", Limit: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	for _, pk := range pkgs {
		vs, err := db.ListVersions(ctx, pk.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range vs {
			agg := "version/" + v.ID
			switch v.State {
			case meta.VersionDraft:
				drafts++
				if eventFor[agg] != 0 || auditFor["repo/gen/versions/"+v.ID] != 0 {
					t.Errorf("draft %s %s has an event or a publish audit record", pk.Name, v.Version)
				}
			case meta.VersionPublished:
				published++
				entries, _ := db.ListEntries(ctx, v.ID)
				if eventFor[agg] != 1 || auditFor["repo/gen/versions/"+v.ID] != 1 || len(entries) == 0 || v.Manifest == nil {
					t.Errorf("published %s %s: %d events, %d audit records, %d entries, manifest %v",
						pk.Name, v.Version, eventFor[agg], auditFor["repo/gen/versions/"+v.ID], len(entries), v.Manifest != nil)
				}
			}
		}
	}
	if published < acknowledged {
		t.Errorf("%d publishes acknowledged but only %d versions published", acknowledged, published)
	}
	if len(events) != published {
		t.Errorf("%d events for %d published versions", len(events), published)
	}
	t.Logf("%d published (%d acknowledged), %d drafts left by crashes, %d events", published, acknowledged, drafts, len(events))
}

// publishOnce runs a whole publish; it reports whether the server
// acknowledged the publish.
func publishOnce(c *client, name, version string, digests []string) bool {
	post := func(method, path string, body any) (int, []byte) {
		raw, _ := json.Marshal(body)
		code, resp, err := c.do(method, path, bytes.NewReader(raw), int64(len(raw)))
		if err != nil {
			return 0, nil
		}
		return code, resp
	}
	code, body := post("POST", "/v1/repos/gen/packages/versions/drafts", map[string]any{"name": name, "version": version})
	if code != 201 && code != 200 {
		return false
	}
	var v struct{ VersionID string }
	if json.Unmarshal(body, &v) != nil {
		return false
	}
	base := "/v1/repos/gen/packages/versions/" + v.VersionID
	var entries []map[string]any
	for i, d := range digests[:1+rand.IntN(len(digests))] {
		entries = append(entries, map[string]any{"path": fmt.Sprintf("f%d", i), "digest": d})
	}
	if code, _ := post("POST", base+"/entries", map[string]any{"entries": entries}); code != 200 {
		return false
	}
	if code, _ := post("PUT", base+"/manifest", map[string]any{"name": name, "version": version}); code != 200 {
		return false
	}
	code, _ = post("POST", base+"/publish", nil)
	return code == 200
}
