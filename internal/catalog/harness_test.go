package catalog_test

import (
	"context"
	"testing"
	"time"

	"github.com/artifortress/artifortress/internal/auth"
	"github.com/artifortress/artifortress/internal/blob"
	"github.com/artifortress/artifortress/internal/catalog"
	"github.com/artifortress/artifortress/internal/format/formats"
	"github.com/artifortress/artifortress/internal/meta"
	"github.com/artifortress/artifortress/internal/repo"
	"github.com/artifortress/artifortress/internal/testpg"
)

// stack is a catalog over a real metadata store, with repository "gen"
// (generic, local) and a few committed blobs.
type stack struct {
	db      *meta.DB
	catalog *catalog.Service
	admin   *auth.Principal
	digests []string
}

type backend struct {
	name string
	url  func(t testing.TB) string
}

func backends() []backend {
	return []backend{
		{"sqlite", func(testing.TB) string { return "" }},
		{"postgres", testpg.URL},
	}
}

func newStack(t testing.TB, databaseURL string) *stack {
	t.Helper()
	ctx := context.Background()
	db, err := meta.Open(ctx, databaseURL, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	s := &stack{db: db, admin: auth.NewPrincipal("admin", auth.SourcePAT, "", []auth.Scope{{Admin: true}}, nil)}
	err = db.Tx(ctx, func(tx *meta.Tx) error {
		if err := tx.InsertRepo(ctx, meta.Repo{Key: "gen", Type: "local", Format: "generic", Settings: "{}", CreatedAt: now, UpdatedAt: now}); err != nil {
			return err
		}
		for _, content := range []string{"a", "b", "c", "d"} {
			d := string(blob.FromSum(sha256Sum(content)))
			if _, err := tx.InsertBlob(ctx, meta.Blob{Digest: d, Size: int64(len(content)), CreatedAt: now}); err != nil {
				return err
			}
			if _, err := tx.LinkBlob(ctx, "gen", d, "admin", now); err != nil {
				return err
			}
			s.digests = append(s.digests, d)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	s.catalog = catalog.New(db, repo.NewService(db, nil, 0), formats.Lookup)
	return s
}
