package metatest

import (
	"context"
	"fmt"
	"testing"

	"github.com/artifortress/artifortress/internal/meta"
)

func putBinding(t testing.TB, db *meta.DB, repoKey, subject string, roles ...string) {
	t.Helper()
	tx(t, db, func(tx *meta.Tx) error {
		return tx.PutBinding(context.Background(), meta.Binding{Repo: repoKey, Subject: subject, Roles: roles}, base)
	})
}

// checkBindings compares binding lists, treating nil and empty as equal.
func checkBindings(t testing.TB, what string, got, want []meta.Binding) {
	t.Helper()
	if fmt.Sprint(normBindings(got)) != fmt.Sprint(normBindings(want)) {
		t.Errorf("%s = %+v, want %+v", what, got, want)
	}
}

func normBindings(bs []meta.Binding) []meta.Binding {
	if len(bs) == 0 {
		return nil
	}
	return bs
}

func repoBindings(t testing.TB, db *meta.DB, key string) []meta.Binding {
	t.Helper()
	bs, err := db.RepoBindings(context.Background(), key)
	must(t, err, "RepoBindings(%q)", key)
	return bs
}

func subjectBindings(t testing.TB, db *meta.DB, subject string) []meta.Binding {
	t.Helper()
	bs, err := db.SubjectBindings(context.Background(), subject)
	must(t, err, "SubjectBindings(%q)", subject)
	return bs
}

func testBindings(t *testing.T, open Opener) {
	ctx := context.Background()

	t.Run("put_replaces_roles", func(t *testing.T) {
		db := open(t)
		insertRepos(t, db, repo("a"))
		putBinding(t, db, "a", "bob", "read")
		for _, c := range []struct {
			name  string
			roles []string
			want  []string // sorted
		}{
			{"two_roles_sorted", []string{"write", "read"}, []string{"read", "write"}},
			{"replace", []string{"admin"}, []string{"admin"}},
			{"all", []string{"promote", "admin", "write", "read"}, []string{"admin", "promote", "read", "write"}},
			{"empty_removes", nil, nil},
			{"again", []string{"promote"}, []string{"promote"}},
		} {
			t.Run(c.name, func(t *testing.T) {
				putBinding(t, db, "a", "alice", c.roles...)
				var want []meta.Binding
				if len(c.want) > 0 {
					want = append(want, meta.Binding{Repo: "a", Subject: "alice", Roles: c.want})
				}
				want = append(want, meta.Binding{Repo: "a", Subject: "bob", Roles: []string{"read"}})
				checkBindings(t, "RepoBindings(a)", repoBindings(t, db, "a"), want)
			})
		}
	})

	t.Run("unknown_repo", func(t *testing.T) {
		db := open(t)
		insertRepos(t, db, repo("a"))
		err := db.Tx(ctx, func(tx *meta.Tx) error {
			return tx.PutBinding(ctx, meta.Binding{Repo: "ghost", Subject: "alice", Roles: []string{"read"}}, base)
		})
		wantErr(t, err, meta.ErrNotFound, "PutBinding on an unknown repository")
		checkBindings(t, "SubjectBindings(alice)", subjectBindings(t, db, "alice"), nil)
	})

	t.Run("delete", func(t *testing.T) {
		db := open(t)
		insertRepos(t, db, repo("a"), repo("b"))
		putBinding(t, db, "a", "alice", "read", "write")
		putBinding(t, db, "a", "bob", "read")
		putBinding(t, db, "b", "alice", "admin")
		must(t, db.Tx(ctx, func(tx *meta.Tx) error { return tx.DeleteBinding(ctx, "a", "alice") }), "DeleteBinding")
		checkBindings(t, "RepoBindings(a)", repoBindings(t, db, "a"), []meta.Binding{{Repo: "a", Subject: "bob", Roles: []string{"read"}}})
		checkBindings(t, "SubjectBindings(alice)", subjectBindings(t, db, "alice"), []meta.Binding{{Repo: "b", Subject: "alice", Roles: []string{"admin"}}})
		for _, c := range []struct{ repo, subject string }{{"a", "alice"}, {"a", "nobody"}, {"ghost", "bob"}} {
			err := db.Tx(ctx, func(tx *meta.Tx) error { return tx.DeleteBinding(ctx, c.repo, c.subject) })
			wantErr(t, err, meta.ErrNotFound, "DeleteBinding(%q, %q) with no binding", c.repo, c.subject)
		}
	})

	t.Run("grouping_and_order", func(t *testing.T) {
		db := open(t)
		insertRepos(t, db, repo("c"), repo("a"), repo("b"))
		putBinding(t, db, "b", "alice", "write", "read")
		putBinding(t, db, "a", "carol", "write")
		putBinding(t, db, "c", "bob", "read", "promote")
		putBinding(t, db, "a", "alice", "admin")
		putBinding(t, db, "a", "bob", "read")
		for _, c := range []struct {
			name string
			get  func() []meta.Binding
			want []meta.Binding
		}{
			{"repo_a", func() []meta.Binding { return repoBindings(t, db, "a") }, []meta.Binding{
				{Repo: "a", Subject: "alice", Roles: []string{"admin"}},
				{Repo: "a", Subject: "bob", Roles: []string{"read"}},
				{Repo: "a", Subject: "carol", Roles: []string{"write"}},
			}},
			{"repo_b", func() []meta.Binding { return repoBindings(t, db, "b") }, []meta.Binding{
				{Repo: "b", Subject: "alice", Roles: []string{"read", "write"}},
			}},
			{"repo_unknown", func() []meta.Binding { return repoBindings(t, db, "ghost") }, nil},
			{"subject_alice", func() []meta.Binding { return subjectBindings(t, db, "alice") }, []meta.Binding{
				{Repo: "a", Subject: "alice", Roles: []string{"admin"}},
				{Repo: "b", Subject: "alice", Roles: []string{"read", "write"}},
			}},
			{"subject_bob", func() []meta.Binding { return subjectBindings(t, db, "bob") }, []meta.Binding{
				{Repo: "a", Subject: "bob", Roles: []string{"read"}},
				{Repo: "c", Subject: "bob", Roles: []string{"promote", "read"}},
			}},
			{"subject_unknown", func() []meta.Binding { return subjectBindings(t, db, "nobody") }, nil},
		} {
			t.Run(c.name, func(t *testing.T) { checkBindings(t, c.name, c.get(), c.want) })
		}
	})

	t.Run("role_check_constraint", func(t *testing.T) {
		db := open(t)
		insertRepos(t, db, repo("a"))
		const insert = "INSERT INTO role_bindings (repo_key, subject, role, created_at) VALUES (?, ?, ?, ?)"
		for _, c := range []struct {
			role string
			ok   bool
		}{
			{"read", true}, // proves the statement itself is valid
			{"owner", false},
			{"READ", false},
			{"", false},
			{"admin ", false},
		} {
			t.Run(fmt.Sprintf("%q", c.role), func(t *testing.T) {
				_, err := db.RawExec(ctx, insert, "a", "subject-"+c.role, c.role, meta.Micros(base))
				if c.ok && err != nil {
					t.Fatalf("valid role %q refused: %v", c.role, err)
				}
				if !c.ok && err == nil {
					t.Fatalf("the database accepted role %q", c.role)
				}
			})
		}
		checkBindings(t, "RepoBindings(a)", repoBindings(t, db, "a"),
			[]meta.Binding{{Repo: "a", Subject: "subject-read", Roles: []string{"read"}}})
	})
}
