package registrytoken

import (
	"context"
	"encoding/hex"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/artifortress/artifortress/internal/meta"
	"github.com/artifortress/artifortress/internal/testpg"
)

var _ StateStore = (*meta.DB)(nil)

// backends are the metadata stores the key is tested on. PostgreSQL is
// skipped when no test server is configured, except in CI (package testpg).
var backends = []struct {
	name string
	url  func(testing.TB) string
}{
	{"sqlite", func(testing.TB) string { return "" }},
	{"postgres", testpg.URL},
}

// openStore opens a migrated metadata store; two calls with the same URL and
// data directory are two nodes sharing one database.
func openStore(t *testing.T, databaseURL, dataDir string) *meta.DB {
	t.Helper()
	ctx := context.Background()
	db, err := meta.Open(ctx, databaseURL, dataDir)
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatalf("migrate: %v", err)
	}
	return db
}

func TestLoadOrCreateKey(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			ctx := context.Background()
			db := openStore(t, b.url(t), t.TempDir())
			key, kid, err := LoadOrCreateKey(ctx, db)
			if err != nil {
				t.Fatal(err)
			}
			if len(key) != KeySize || len(kid) != 16 {
				t.Fatalf("key of %d bytes, kid %q: want %d bytes and 16 hex digits", len(key), kid, KeySize)
			}
			stored, err := db.GetState(ctx, keyState)
			if err != nil || stored != hex.EncodeToString(key) {
				t.Fatalf("system_state %s: %v, or not the key in hex", keyState, err)
			}
			again, kid2, err := LoadOrCreateKey(ctx, db)
			if err != nil || string(again) != string(key) || kid2 != kid {
				t.Errorf("second load: kid %q, %v; want the same key and kid %q", kid2, err, kid)
			}
			// A restarted node verifies an earlier node's token.
			tok := issue(t, newIssuer(t, key, kid), sampleClaims())
			if _, err := newIssuer(t, again, kid2).Verify(tok, service, t0); err != nil {
				t.Errorf("token from the first load, verified with the second: %v", err)
			}
		})
	}
}

// Nodes starting at once all end up with the one key that was stored.
func TestLoadOrCreateKeyConcurrentNodes(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			ctx := context.Background()
			url, dir := b.url(t), t.TempDir()
			nodes := []*meta.DB{openStore(t, url, dir), openStore(t, url, dir)}
			const perNode = 4
			var (
				wg    sync.WaitGroup
				start = make(chan struct{})
				keys  = make([]string, len(nodes)*perNode)
				errs  = make([]error, len(keys))
			)
			for i := range keys {
				wg.Go(func() {
					<-start
					k, kid, err := LoadOrCreateKey(ctx, nodes[i%len(nodes)])
					keys[i], errs[i] = hex.EncodeToString(k)+"/"+kid, err
				})
			}
			close(start)
			wg.Wait()
			for i := range keys {
				if errs[i] != nil {
					t.Errorf("caller %d: %v", i, errs[i])
				} else if keys[i] != keys[0] {
					t.Errorf("caller %d got another key or kid than caller 0", i)
				}
			}
		})
	}
}

// lateStore is a real store in which another node stores its key between
// this node's GetState and InsertState: the race LoadOrCreateKey must lose
// gracefully. Concurrent callers rarely hit that window; this always does.
type lateStore struct {
	*meta.DB
	rival string
	once  sync.Once
}

func (s *lateStore) GetState(ctx context.Context, key string) (string, error) {
	v, err := s.DB.GetState(ctx, key)
	s.once.Do(func() {
		if ierr := s.DB.InsertState(ctx, key, s.rival); ierr != nil {
			panic(ierr)
		}
	})
	return v, err
}

func TestLoadOrCreateKeyLosesRace(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			rival := strings.Repeat("ab", KeySize)
			s := &lateStore{DB: openStore(t, b.url(t), t.TempDir()), rival: rival}
			key, kid, err := LoadOrCreateKey(context.Background(), s)
			if err != nil {
				t.Fatal(err)
			}
			if hex.EncodeToString(key) != rival || kid != keyID(key) {
				t.Errorf("got kid %q, want the rival's key and kid %q", kid, keyID(key))
			}
		})
	}
}

func TestLoadOrCreateKeyCorrupt(t *testing.T) {
	ctx := context.Background()
	for name, value := range map[string]string{
		"not hex":   "secret-" + strings.Repeat("z", 60),
		"too short": strings.Repeat("ab", KeySize-1),
		"empty":     "",
	} {
		t.Run(name, func(t *testing.T) {
			db := openStore(t, "", t.TempDir())
			if err := db.InsertState(ctx, keyState, value); err != nil {
				t.Fatal(err)
			}
			_, _, err := LoadOrCreateKey(ctx, db)
			if err == nil {
				t.Fatal("LoadOrCreateKey accepted a corrupt key")
			}
			if value != "" && strings.Contains(err.Error(), value) {
				t.Errorf("error %q repeats the stored value", err)
			}
			if !strings.Contains(err.Error(), keyState) {
				t.Errorf("error %q does not say where the key is", err)
			}
		})
	}
}

// failingStore answers like a store whose database is down.
type failingStore struct{ err error }

func (f failingStore) GetState(context.Context, string) (string, error)  { return "", f.err }
func (f failingStore) InsertState(context.Context, string, string) error { return f.err }

func TestLoadOrCreateKeyStoreDown(t *testing.T) {
	down := errors.New("connection refused")
	_, _, err := LoadOrCreateKey(context.Background(), failingStore{down})
	if !errors.Is(err, down) || !strings.Contains(err.Error(), "registry token key") {
		t.Errorf("err = %v, want the store's error wrapped with what was being loaded", err)
	}
}

func TestKeyIDIsStableAndDistinct(t *testing.T) {
	a, b := keyID(testKey), keyID(append([]byte{1}, testKey[1:]...))
	if a != keyID(testKey) || a == b || len(a) != 16 {
		t.Errorf("keyID: %q and %q", a, b)
	}
	if strings.Contains(hex.EncodeToString(testKey), a) {
		t.Error("the kid is part of the key")
	}
}
