package metatest

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/artifortress/artifortress/internal/meta"
)

// checkRepo compares a stored repository with what was written.
func checkRepo(t testing.TB, got, want meta.Repo) {
	t.Helper()
	if got.Key != want.Key || got.Type != want.Type || got.Format != want.Format ||
		got.Description != want.Description || got.UpstreamURL != want.UpstreamURL || got.Settings != want.Settings {
		t.Errorf("repo %s:\n got %+v\nwant %+v", want.Key, got, want)
	}
	if !sameStrings(got.Members, want.Members) {
		t.Errorf("repo %s: members %q, want %q", want.Key, got.Members, want.Members)
	}
	if !sameTime(got.CreatedAt, want.CreatedAt) || !sameTime(got.UpdatedAt, want.UpdatedAt) {
		t.Errorf("repo %s: created %v updated %v, want %v %v", want.Key, got.CreatedAt, got.UpdatedAt,
			micro(want.CreatedAt), micro(want.UpdatedAt))
	}
}

func getRepo(t testing.TB, db *meta.DB, key string) meta.Repo {
	t.Helper()
	r, err := db.GetRepo(context.Background(), key)
	must(t, err, "GetRepo(%q)", key)
	return r
}

func wantNoRepo(t testing.TB, db *meta.DB, key string) {
	t.Helper()
	_, err := db.GetRepo(context.Background(), key)
	wantErr(t, err, meta.ErrNotFound, "GetRepo(%q)", key)
}

func parents(t testing.TB, db *meta.DB, key string) []string {
	t.Helper()
	p, err := db.VirtualParents(context.Background(), key)
	must(t, err, "VirtualParents(%q)", key)
	return p
}

func countPackages(t testing.TB, db *meta.DB, key string) int64 {
	t.Helper()
	n, err := db.CountPackages(context.Background(), key)
	must(t, err, "CountPackages(%q)", key)
	return n
}

func testRepos(t *testing.T, open Opener) {
	ctx := context.Background()

	t.Run("insert_get", func(t *testing.T) {
		db := open(t)
		remote := repo("r")
		remote.Type, remote.Format, remote.UpstreamURL = "remote", "npm", "https://registry.npmjs.org/"
		remote.Description, remote.Settings = "", "{}"
		// Members deliberately not in key order: order is the virtual repository's resolution order.
		virtual := repo("v", "b", "r", "a")
		insertRepos(t, db, repo("a"), repo("b"), remote, virtual)
		for _, want := range []meta.Repo{repo("a"), repo("b"), remote, virtual} {
			t.Run(want.Key, func(t *testing.T) { checkRepo(t, getRepo(t, db, want.Key), want) })
		}
	})

	t.Run("duplicate_key", func(t *testing.T) {
		db := open(t)
		insertRepos(t, db, repo("a"), repo("b"))
		dup := repo("a", "b")
		dup.Description = "impostor"
		err := db.Tx(ctx, func(tx *meta.Tx) error { return tx.InsertRepo(ctx, dup) })
		wantErr(t, err, meta.ErrExists, "InsertRepo with a taken key")
		checkRepo(t, getRepo(t, db, "a"), repo("a"))
		if p := parents(t, db, "b"); len(p) != 0 {
			t.Errorf("refused duplicate left members behind: VirtualParents(b) = %q", p)
		}
	})

	t.Run("duplicate_member", func(t *testing.T) {
		db := open(t)
		insertRepos(t, db, repo("a"))
		err := db.Tx(ctx, func(tx *meta.Tx) error { return tx.InsertRepo(ctx, repo("v", "a", "a")) })
		wantErr(t, err, meta.ErrExists, "InsertRepo listing a member twice")
		wantNoRepo(t, db, "v")
	})

	t.Run("missing_member", func(t *testing.T) {
		db := open(t)
		insertRepos(t, db, repo("a"))
		err := db.Tx(ctx, func(tx *meta.Tx) error { return tx.InsertRepo(ctx, repo("v", "a", "ghost")) })
		wantErr(t, err, meta.ErrNotFound, "InsertRepo with a member that does not exist")
		wantNoRepo(t, db, "v")
		if p := parents(t, db, "a"); len(p) != 0 {
			t.Errorf("refused insert left members behind: VirtualParents(a) = %q", p)
		}
	})

	t.Run("get_unknown", func(t *testing.T) {
		db := open(t)
		insertRepos(t, db, repo("a"))
		wantNoRepo(t, db, "ghost")
	})

	t.Run("update", func(t *testing.T) {
		db := open(t)
		insertRepos(t, db, repo("a"), repo("b"), repo("c"), repo("v", "a", "b"))
		steps := []struct {
			name    string
			members []string
		}{
			{"replace_members", []string{"c", "a"}},
			{"same_members_reordered", []string{"a", "c"}},
			{"no_members", nil},
			{"members_again", []string{"b"}},
		}
		for i, s := range steps {
			t.Run(s.name, func(t *testing.T) {
				upd := meta.Repo{
					Key: "v", Members: s.members, Description: "desc " + s.name, UpstreamURL: "https://example.test/" + s.name,
					Settings: `{"step":` + strconv.Itoa(i) + `}`, UpdatedAt: at(time.Duration(i+2) * time.Hour),
					// UpdateRepo must ignore the immutable fields.
					Type: "local", Format: "other", CreatedAt: at(99 * time.Hour),
				}
				must(t, db.Tx(ctx, func(tx *meta.Tx) error { return tx.UpdateRepo(ctx, upd) }), "UpdateRepo")
				want := upd
				want.Type, want.Format, want.CreatedAt = "virtual", "generic", at(0)
				checkRepo(t, getRepo(t, db, "v"), want)
			})
		}
		before := getRepo(t, db, "v")
		t.Run("missing_member_rolls_back", func(t *testing.T) {
			upd := before
			upd.Members, upd.Description = []string{"a", "ghost"}, "should not stick"
			err := db.Tx(ctx, func(tx *meta.Tx) error { return tx.UpdateRepo(ctx, upd) })
			wantErr(t, err, meta.ErrNotFound, "UpdateRepo with a member that does not exist")
			checkRepo(t, getRepo(t, db, "v"), before)
		})
		t.Run("unknown", func(t *testing.T) {
			err := db.Tx(ctx, func(tx *meta.Tx) error { return tx.UpdateRepo(ctx, repo("ghost")) })
			wantErr(t, err, meta.ErrNotFound, "UpdateRepo of an unknown key")
			wantNoRepo(t, db, "ghost")
		})
	})

	t.Run("list", func(t *testing.T) {
		db := open(t)
		got, err := db.ListRepos(ctx)
		must(t, err, "ListRepos on an empty store")
		if len(got) != 0 {
			t.Fatalf("ListRepos on an empty store = %d repos", len(got))
		}
		want := []meta.Repo{repo("alpha"), repo("mid", "zeta", "alpha"), repo("other", "alpha"), repo("zeta")}
		// Insert out of key order.
		insertRepos(t, db, want[3], want[0], want[1], want[2])
		got, err = db.ListRepos(ctx)
		must(t, err, "ListRepos")
		if len(got) != len(want) {
			t.Fatalf("ListRepos = %d repos, want %d", len(got), len(want))
		}
		for i := range want {
			checkRepo(t, got[i], want[i])
		}
	})

	t.Run("virtual_parents", func(t *testing.T) {
		db := open(t)
		insertRepos(t, db, repo("a"), repo("b"), repo("v2", "b"), repo("v1", "a", "b"), repo("v3", "a"))
		for _, c := range []struct {
			key  string
			want []string
		}{
			{"a", []string{"v1", "v3"}},
			{"b", []string{"v1", "v2"}},
			{"v1", nil},
			{"ghost", nil},
		} {
			if got := parents(t, db, c.key); !sameStrings(got, c.want) {
				t.Errorf("VirtualParents(%q) = %q, want %q", c.key, got, c.want)
			}
		}
	})

	t.Run("delete", func(t *testing.T) {
		db := open(t)
		insertRepos(t, db, repo("a"), repo("b"), repo("v1", "a", "b"), repo("v2", "a"), repo("v3", "b"))
		tx(t, db, func(tx *meta.Tx) error {
			for _, b := range []meta.Binding{
				{Repo: "a", Subject: "alice", Roles: []string{"read"}},
				{Repo: "a", Subject: "bob", Roles: []string{"write"}},
				{Repo: "b", Subject: "alice", Roles: []string{"admin"}},
			} {
				if err := tx.PutBinding(ctx, b, base); err != nil {
					return err
				}
			}
			return nil
		})
		insertPackage(t, db, "pkg-a1", "a", "one")
		insertPackage(t, db, "pkg-a2", "a", "two")
		insertPackage(t, db, "pkg-b1", "b", "one")

		must(t, db.Tx(ctx, func(tx *meta.Tx) error { return tx.DeleteRepo(ctx, "a", time.Now()) }), "DeleteRepo(a)")

		wantNoRepo(t, db, "a")
		checkRepo(t, getRepo(t, db, "v1"), repo("v1", "b"))
		if m := getRepo(t, db, "v2").Members; len(m) != 0 {
			t.Errorf("v2 still lists members %q after its only member was deleted", m)
		}
		if p := parents(t, db, "a"); len(p) != 0 {
			t.Errorf("VirtualParents(a) = %q after delete", p)
		}
		rb, err := db.RepoBindings(ctx, "a")
		must(t, err, "RepoBindings(a)")
		if len(rb) != 0 {
			t.Errorf("bindings on deleted repo survive: %+v", rb)
		}
		sb, err := db.SubjectBindings(ctx, "alice")
		must(t, err, "SubjectBindings(alice)")
		if len(sb) != 1 || sb[0].Repo != "b" {
			t.Errorf("SubjectBindings(alice) = %+v, want only the binding on b", sb)
		}
		if n := countPackages(t, db, "b"); n != 1 {
			t.Errorf("CountPackages(b) = %d after deleting a, want 1", n)
		}
		// Recreating the key must start empty: no package or binding rows survived.
		insertRepos(t, db, repo("a"))
		if n := countPackages(t, db, "a"); n != 0 {
			t.Errorf("CountPackages(a) = %d after delete and re-create, want 0 (packages not cascaded)", n)
		}
		if rb, _ := db.RepoBindings(ctx, "a"); len(rb) != 0 {
			t.Errorf("re-created repo inherited bindings %+v", rb)
		}
		insertPackage(t, db, "pkg-a1", "a", "one") // the id is free again

		t.Run("virtual", func(t *testing.T) {
			must(t, db.Tx(ctx, func(tx *meta.Tx) error { return tx.DeleteRepo(ctx, "v3", time.Now()) }), "DeleteRepo(v3)")
			wantNoRepo(t, db, "v3")
			getRepo(t, db, "b")
			if got := parents(t, db, "b"); !sameStrings(got, []string{"v1"}) {
				t.Errorf("VirtualParents(b) = %q after deleting v3, want [v1]", got)
			}
		})
		t.Run("unknown", func(t *testing.T) {
			err := db.Tx(ctx, func(tx *meta.Tx) error { return tx.DeleteRepo(ctx, "ghost", time.Now()) })
			wantErr(t, err, meta.ErrNotFound, "DeleteRepo of an unknown key")
		})
	})

	t.Run("count_packages", func(t *testing.T) {
		db := open(t)
		insertRepos(t, db, repo("a"), repo("b"))
		if n := countPackages(t, db, "a"); n != 0 {
			t.Errorf("CountPackages of an empty repo = %d", n)
		}
		for i, name := range []string{"x", "y", "z"} {
			insertPackage(t, db, "pkg-"+name, "a", name)
			if n := countPackages(t, db, "a"); n != int64(i+1) {
				t.Errorf("CountPackages(a) = %d after %d inserts", n, i+1)
			}
		}
		if n := countPackages(t, db, "b"); n != 0 {
			t.Errorf("CountPackages(b) = %d, want 0 (counts leak across repos)", n)
		}
		if n := countPackages(t, db, "ghost"); n != 0 {
			t.Errorf("CountPackages(ghost) = %d, want 0", n)
		}
		_, err := db.RawExec(ctx, "INSERT INTO packages (id, repo_key, format, namespace, name, created_at) VALUES (?, ?, ?, ?, ?, ?)",
			"pkg-orphan", "ghost", "generic", "", "o", meta.Micros(base))
		if err == nil {
			t.Error("the database accepted a package in a repository that does not exist")
		}
	})
}
