package catalog_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/artifortress/artifortress/internal/auth"
	"github.com/artifortress/artifortress/internal/blob"
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

// linkOf is a blob the test stored but did not link: the upload links it
// in its transaction (catalog.BlobLinker, as transfer.StagedBlob does).
type linkOf struct {
	repo, digest string
}

func (l linkOf) LinkIn(ctx context.Context, tx *meta.Tx) error {
	if _, err := tx.InsertBlob(ctx, meta.Blob{Digest: l.digest, Size: 1, CreatedAt: time.Now()}); err != nil {
		return err
	}
	_, err := tx.LinkBlob(ctx, l.repo, l.digest, "admin", time.Now())
	return err
}

// TestUploadIsAllOrNothing: an upload that creates a version commits, in
// one transaction, the blob links it brings, the version, its publish and
// its tags (a registry's manifest push); a refusal at any step (an
// immutable tag, a policy) leaves none of them behind, and a policy's
// refusal is still recorded.
func TestUploadIsAllOrNothing(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			s := newStack(t, b.url(t))
			ctx := context.Background()
			if _, err := s.db.RawExec(ctx, `UPDATE repos SET settings = '{"immutableTags":true}' WHERE key = 'gen'`); err != nil {
				t.Fatal(err)
			}
			linked := func(digest string) bool {
				_, err := s.db.GetBlobLink(ctx, "gen", digest)
				return err == nil
			}
			// leftNothing checks that refused upload req left no version,
			// no new tag and no link of its manifest.
			leftNothing := func(req catalog.FileUpload, tag string) {
				t.Helper()
				if _, err := s.catalog.Get(ctx, s.admin, "gen", req.Name, req.Version); codeOf(err) != "version_not_found" {
					t.Errorf("the refused push left version %s: %v", req.Version, err)
				}
				if _, err := s.catalog.Tag(ctx, s.admin, "gen", req.Name, tag); codeOf(err) != "tag_not_found" {
					t.Errorf("the refused push left tag %s: %v", tag, err)
				}
				if linked(req.Files[0].Digest) {
					t.Errorf("the refused push of %s left its manifest linked", req.Version)
				}
			}
			manifest := string(blob.FromSum(sha256Sum("manifest 1")))
			req := upload("app", "1.0", "manifest", manifest)
			req.Tags, req.Blobs = []string{"stable", "latest"}, []catalog.BlobLinker{linkOf{"gen", manifest}}
			res, err := s.catalog.UploadFile(ctx, s.admin, "gen", req)
			if err != nil || !res.Created || res.Version.Row.State != meta.VersionPublished || !linked(manifest) {
				t.Fatalf("first push: %+v %v (linked %v)", res, err, linked(manifest))
			}
			for _, tag := range req.Tags {
				if tg, err := s.catalog.Tag(ctx, s.admin, "gen", "app", tag); err != nil || tg.Version != "1.0" {
					t.Errorf("tag %s: %+v %v", tag, tg, err)
				}
			}
			if n := eventCount(t, s.db, catalog.EventTagUpdated); n != 2 {
				t.Errorf("tag.updated written %d times, want 2", n)
			}
			// The same version again with a new tag: unchanged, tagged.
			req.Tags = []string{"v1"}
			if again, err := s.catalog.UploadFile(ctx, s.admin, "gen", req); err != nil || !again.Unchanged {
				t.Fatalf("the same push with another tag: %+v %v", again, err)
			}
			if tg, err := s.catalog.Tag(ctx, s.admin, "gen", "app", "v1"); err != nil || tg.Version != "1.0" {
				t.Errorf("tag v1 after an unchanged push: %+v %v", tg, err)
			}

			// An immutable tag refuses the push whole: no version 2.0, no
			// link of its manifest, the tag where it was.
			second := string(blob.FromSum(sha256Sum("manifest 2")))
			req2 := upload("app", "2.0", "manifest", second)
			req2.Tags, req2.Blobs = []string{"fresh", "stable"}, []catalog.BlobLinker{linkOf{"gen", second}}
			if _, err := s.catalog.UploadFile(ctx, s.admin, "gen", req2); codeOf(err) != "tag_immutable" {
				t.Fatalf("moving an immutable tag: %v", err)
			}
			leftNothing(req2, "fresh")

			// A policy's refusal: nothing kept, the refusal recorded.
			if _, _, err := s.catalog.PutPolicy(ctx, s.admin, "gen", catalog.PolicyRequest{Name: "no-3", Expression: `version.version != "3.0"`, Action: "deny"}, true); err != nil {
				t.Fatal(err)
			}
			third := string(blob.FromSum(sha256Sum("manifest 3")))
			req3 := upload("app", "3.0", "manifest", third)
			req3.Tags, req3.Blobs = []string{"next"}, []catalog.BlobLinker{linkOf{"gen", third}}
			if _, err := s.catalog.UploadFile(ctx, s.admin, "gen", req3); codeOf(err) != "policy_denied" {
				t.Fatalf("a denied push: %v", err)
			}
			leftNothing(req3, "next")
			evs, err := s.db.ListEvents(ctx, catalog.EventPolicyDenied, 0, 10)
			if err != nil || len(evs) != 1 || evs[0].Payload["version"] != "3.0" || evs[0].Payload["policies"] == nil {
				t.Errorf("policy.denied: %+v %v", evs, err)
			}

			// A quarantined push is tagged, but its tag is not among the
			// visible ones; nor are those of a deleted version.
			if _, _, err := s.catalog.PutPolicy(ctx, s.admin, "gen", catalog.PolicyRequest{Name: "hold-4", Expression: `version.version != "4.0"`, Action: "quarantine"}, true); err != nil {
				t.Fatal(err)
			}
			fourth := string(blob.FromSum(sha256Sum("manifest 4")))
			req4 := upload("app", "4.0", "manifest", fourth)
			req4.Tags, req4.Blobs = []string{"held"}, []catalog.BlobLinker{linkOf{"gen", fourth}}
			if res, err := s.catalog.UploadFile(ctx, s.admin, "gen", req4); err != nil || res.Quarantine == nil {
				t.Fatalf("a held push: %+v %v", res, err)
			}
			tagNames := func(ts []meta.Tag, err error) string {
				if err != nil {
					t.Fatal(err)
				}
				var names []string
				for _, tg := range ts {
					names = append(names, tg.Name)
				}
				return strings.Join(names, ",")
			}
			if all := tagNames(s.catalog.Tags(ctx, s.admin, "gen", "app")); all != "held,latest,stable,v1" {
				t.Errorf("tags: %s", all)
			}
			if visible := tagNames(s.catalog.VisibleTags(ctx, s.admin, "gen", "app")); visible != "latest,stable,v1" {
				t.Errorf("visible tags with 4.0 held: %s", visible)
			}
			if _, err := s.catalog.Delete(ctx, s.admin, "gen", res.Version.Row.ID, "test"); err != nil {
				t.Fatal(err)
			}
			if visible := tagNames(s.catalog.VisibleTags(ctx, s.admin, "gen", "app")); visible != "" {
				t.Errorf("visible tags with 1.0 deleted: %s", visible)
			}
		})
	}
}

// TestUploadManyFiles: a version of more files than one statement carries
// (an image of many layers) is created whole, each path with its own blob;
// one file whose blob is not in the repository refuses the upload and
// names that blob, leaving no version.
func TestUploadManyFiles(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			s := newStack(t, b.url(t))
			ctx := context.Background()
			const n = 130 // two full statements of entries and link checks, and a tail
			req := upload("big", "1.0", "p", s.digests[0])
			req.Files = nil
			for i := range n {
				d := string(blob.FromSum(sha256Sum(fmt.Sprint("layer ", i))))
				req.Files = append(req.Files, catalog.EntryRequest{Path: fmt.Sprintf("layers/%03d", i), Digest: d, MediaType: fmt.Sprint("type/", i)})
				req.Blobs = append(req.Blobs, linkOf{"gen", d})
			}
			res, err := s.catalog.UploadFile(ctx, s.admin, "gen", req)
			if err != nil || !res.Created || len(res.Version.Entries) != n {
				t.Fatalf("upload of %d files: %d entries, %v", n, len(res.Version.Entries), err)
			}
			byPath := map[string]meta.Entry{}
			for _, e := range res.Version.Entries {
				byPath[e.Path] = e
			}
			for _, f := range req.Files {
				if e := byPath[f.Path]; e.Digest != f.Digest || e.MediaType != f.MediaType || e.Size != 1 {
					t.Errorf("%s: %+v, want digest %s, media type %s, size 1", f.Path, e, f.Digest, f.MediaType)
				}
			}

			// One audit record says what the new version holds: its publish,
			// with the paths (no version.entries for a draft nobody saw).
			if recs, err := s.db.ListAudit(ctx, meta.AuditFilter{Action: "version.entries"}); err != nil || len(recs) != 0 {
				t.Errorf("version.entries records: %d %v, want none", len(recs), err)
			}
			recs, err := s.db.ListAudit(ctx, meta.AuditFilter{Action: "version.publish"})
			if err != nil || len(recs) != 1 {
				t.Fatalf("version.publish records: %d %v, want 1", len(recs), err)
			}
			if paths, _ := recs[0].Details["paths"].([]any); len(paths) != n || paths[0] != "layers/000" {
				t.Errorf("version.publish paths: %v, want the %d paths", recs[0].Details["paths"], n)
			}

			missing := string(blob.FromSum(sha256Sum("never pushed")))
			files := req.Files
			req = upload("big", "2.0", "p", s.digests[0])
			req.Files = files
			req.Files[97].Digest = missing
			_, err = s.catalog.UploadFile(ctx, s.admin, "gen", req)
			if fe := fault.As(err); fe == nil || fe.Code != "digest_not_committed" || !strings.Contains(fe.Message, missing) {
				t.Fatalf("an upload with one blob missing: %v, want digest_not_committed naming %s", err, missing)
			}
			if _, err := s.catalog.Get(ctx, s.admin, "gen", "big", "2.0"); codeOf(err) != "version_not_found" {
				t.Errorf("the refused upload left its version: %v", err)
			}
		})
	}
}
