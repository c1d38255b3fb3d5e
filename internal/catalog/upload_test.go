package catalog_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/artifortress/artifortress/internal/auth"
	"github.com/artifortress/artifortress/internal/catalog"
	"github.com/artifortress/artifortress/internal/fault"
	"github.com/artifortress/artifortress/internal/meta"
)

func upload(name, version, path, digest string) catalog.FileUpload {
	return catalog.FileUpload{Name: name, Version: version, Manifest: []byte(fmt.Sprintf(`{"name":%q,"version":%q}`, name, version)),
		Files: []catalog.EntryRequest{{Path: path, Digest: digest}}}
}

func codeOf(err error) string {
	if fe := fault.As(err); fe != nil {
		return fe.Code
	}
	return fmt.Sprint(err)
}

func eventCount(t *testing.T, db *meta.DB, typ string) int {
	t.Helper()
	evs, err := db.ListEvents(context.Background(), typ, 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	return len(evs)
}

// TestUploadFile walks a version of an append-only format through its
// uploads (ADR 0009): the first file publishes it, a new path is appended,
// the same bytes again change nothing, other bytes at a path are refused,
// and a tombstoned version takes nothing.
func TestUploadFile(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			s := newStack(t, b.url(t))
			ctx := context.Background()
			first, err := s.catalog.UploadFile(ctx, s.admin, "gen", upload("tool", "1.0", "tool.tgz", s.digests[0]))
			if err != nil || !first.Created || first.Version.Row.State != meta.VersionPublished || len(first.Version.Entries) != 1 {
				t.Fatalf("first file: %+v %v", first, err)
			}
			second, err := s.catalog.UploadFile(ctx, s.admin, "gen", upload("tool", "1.0", "tool.tgz.sha256", s.digests[1]))
			if err != nil || second.Created || second.Unchanged || len(second.Version.Entries) != 2 {
				t.Fatalf("second file: %+v %v", second, err)
			}
			again, err := s.catalog.UploadFile(ctx, s.admin, "gen", upload("tool", "1.0", "tool.tgz", s.digests[0]))
			if err != nil || !again.Unchanged || len(again.Version.Entries) != 2 {
				t.Fatalf("the same bytes again: %+v %v", again, err)
			}
			if _, err := s.catalog.UploadFile(ctx, s.admin, "gen", upload("tool", "1.0", "tool.tgz", s.digests[2])); codeOf(err) != "file_exists" {
				t.Fatalf("other bytes at a published path: %v", err)
			}
			if n := eventCount(t, s.db, catalog.EventPublished); n != 1 {
				t.Errorf("version.published written %d times, want 1", n)
			}
			if n := eventCount(t, s.db, catalog.EventFilesAdded); n != 1 {
				t.Errorf("version.files_added written %d times, want 1", n)
			}
			if _, err := s.catalog.Delete(ctx, s.admin, "gen", first.Version.Row.ID, "test"); err != nil {
				t.Fatal(err)
			}
			if _, err := s.catalog.UploadFile(ctx, s.admin, "gen", upload("tool", "1.0", "late.txt", s.digests[3])); codeOf(err) != "version_tombstoned" {
				t.Fatalf("a file for a tombstoned version: %v", err)
			}
			for name, req := range map[string]catalog.FileUpload{
				"path traversal":      upload("tool", "2.0", "../etc/passwd", s.digests[0]),
				"bad digest":          upload("tool", "2.0", "f", "sha256:00"),
				"uncommitted digest":  upload("tool", "2.0", "f", "sha256:"+fmt.Sprintf("%064d", 7)),
				"manifest mismatch":   {Name: "tool", Version: "2.0", Manifest: []byte(`{"name":"other","version":"2.0"}`), Files: []catalog.EntryRequest{{Path: "f", Digest: s.digests[0]}}},
				"invalid version":     upload("tool", "2.0/x", "f", s.digests[0]),
				"invalid name":        upload("../tool", "2.0", "f", s.digests[0]),
				"empty path segments": upload("tool", "2.0", "a//b", s.digests[0]),
			} {
				if _, err := s.catalog.UploadFile(ctx, s.admin, "gen", req); fault.As(err) == nil || fault.As(err).Kind.HTTPStatus()/100 != 4 {
					t.Errorf("%s: %v, want a 4xx", name, err)
				}
			}
			if _, _, vs, err := s.catalog.Versions(ctx, s.admin, "gen", "tool"); err != nil || len(vs) != 1 {
				t.Errorf("refused uploads left versions behind: %d %v", len(vs), err)
			}
		})
	}
}

// TestConcurrentFirstUploads sends the files of one new version at once, as
// `twine upload dist/*` with parallel uploads or a CI matrix would: every
// file lands in the one published version, which is published once.
func TestConcurrentFirstUploads(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			s := newStack(t, b.url(t))
			ctx := context.Background()
			for round := range 5 {
				version := fmt.Sprintf("%d.0", round+1)
				var wg sync.WaitGroup
				errs := make([]error, len(s.digests))
				start := make(chan struct{})
				for i, d := range s.digests {
					wg.Go(func() {
						<-start
						_, errs[i] = s.catalog.UploadFile(ctx, s.admin, "gen", upload("tool", version, fmt.Sprintf("file-%d", i), d))
					})
				}
				close(start)
				wg.Wait()
				for i, err := range errs {
					if err != nil {
						t.Errorf("round %d, file %d: %v", round, i, err)
					}
				}
				v, err := s.catalog.Get(ctx, s.admin, "gen", "tool", version)
				if err != nil || v.Row.State != meta.VersionPublished || len(v.Entries) != len(s.digests) {
					t.Fatalf("round %d: %s with %d files, %v", round, v.Row.State, len(v.Entries), err)
				}
			}
			// Every file is announced once: in the version.published of its
			// version when it made it into the publish, in a
			// version.files_added otherwise.
			announced := map[string]int{}
			for _, typ := range []string{catalog.EventPublished, catalog.EventFilesAdded} {
				evs, err := s.db.ListEvents(ctx, typ, 0, 1000)
				if err != nil {
					t.Fatal(err)
				}
				for _, e := range evs {
					if typ == catalog.EventPublished {
						announced[e.Aggregate] += len(e.Payload["entries"].([]any))
					} else {
						announced[e.Aggregate] += len(e.Payload["added"].([]any))
					}
				}
			}
			if len(announced) != 5 {
				t.Errorf("events for %d versions, want 5", len(announced))
			}
			for aggregate, n := range announced {
				if n != len(s.digests) {
					t.Errorf("%s: %d files announced, want %d", aggregate, n, len(s.digests))
				}
			}
		})
	}
}

// TestUploadLeavesOthersDraftsAlone: a draft is its creator's: an upload by
// someone else neither adds to it nor publishes it under their name.
func TestUploadLeavesOthersDraftsAlone(t *testing.T) {
	s := newStack(t, "")
	ctx := context.Background()
	if _, _, err := s.catalog.CreateDraft(ctx, s.admin, "gen", catalog.DraftRequest{Name: "tool", Version: "3.0"}); err != nil {
		t.Fatal(err)
	}
	other := auth.NewPrincipal("ci", auth.SourcePAT, "", []auth.Scope{{Admin: true}}, nil)
	if _, err := s.catalog.UploadFile(ctx, other, "gen", upload("tool", "3.0", "f", s.digests[0])); codeOf(err) != "version_is_draft" {
		t.Fatalf("another caller's draft: %v", err)
	}
	res, err := s.catalog.UploadFile(ctx, s.admin, "gen", upload("tool", "3.0", "f", s.digests[0]))
	if err != nil || res.Version.Row.State != meta.VersionPublished || res.Version.Row.CreatedBy != "admin" {
		t.Fatalf("the creator's own upload publishes its draft: %+v %v", res.Version.Row, err)
	}
}
