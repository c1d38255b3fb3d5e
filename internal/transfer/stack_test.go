package transfer_test

import (
	"bytes"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"io"
	"math/rand/v2"
	"testing"

	"github.com/artifortress/artifortress/internal/auth"
	"github.com/artifortress/artifortress/internal/blob"
	"github.com/artifortress/artifortress/internal/config"
	"github.com/artifortress/artifortress/internal/fault"
	"github.com/artifortress/artifortress/internal/meta"
	"github.com/artifortress/artifortress/internal/servertest"
	"github.com/artifortress/artifortress/internal/transfer"
)

// stack is a node whose transfer service the tests call directly: the
// service layer under the OCI handlers, on a real metadata and blob store.
type stack struct {
	env *servertest.Env
	svc *transfer.Service
}

func newStack(t *testing.T, b servertest.Backend, opt func(*config.Config)) *stack {
	t.Helper()
	env := servertest.Start(t, b, opt)
	env.CreateRepo(t, "images", map[string]any{"format": "oci"})
	return &stack{env: env, svc: env.Server.Transfer()}
}

// caller is a principal holding scopes such as "repo:images:write".
func caller(t *testing.T, name string, scopes ...string) *auth.Principal {
	t.Helper()
	ss, _, err := auth.ParseScopes(scopes)
	if err != nil {
		t.Fatal(err)
	}
	return auth.NewPrincipal(name, auth.SourcePAT, "", ss, nil)
}

var admin = auth.NewPrincipal("root", auth.SourcePAT, "", []auth.Scope{{Admin: true}}, nil)

func randomBytes(seed uint64, n int) []byte {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

func sha256Of(b []byte) string {
	s := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(s[:])
}

func sha512Of(b []byte) string {
	s := sha512.Sum512(b)
	return "sha512:" + hex.EncodeToString(s[:])
}

// code is err's stable fault code ("" when it has none).
func code(err error) string {
	if fe := fault.As(err); fe != nil {
		return fe.Code
	}
	return ""
}

func wantCode(t *testing.T, err error, want string, status int, what string) *fault.Error {
	t.Helper()
	fe := fault.As(err)
	if fe == nil || fe.Code != want || fe.Kind.HTTPStatus() != status {
		t.Fatalf("%s: got %v, want %s (%d)", what, err, want, status)
	}
	return fe
}

func (s *stack) create(t *testing.T, who *auth.Principal, repoKey string) transfer.ChunkedSession {
	t.Helper()
	cs, err := s.svc.CreateChunked(t.Context(), who, repoKey)
	if err != nil {
		t.Fatalf("CreateChunked: %v", err)
	}
	if cs.ID == "" || cs.Received != 0 || cs.State != transfer.StateOpen {
		t.Fatalf("new session: %+v", cs)
	}
	return cs
}

func (s *stack) append(t *testing.T, id string, start int64, data []byte) int64 {
	t.Helper()
	got, err := s.svc.AppendChunk(t.Context(), admin, "images", id, start, bytes.NewReader(data))
	if err != nil {
		t.Fatalf("AppendChunk at %d: %v", start, err)
	}
	return got
}

// staged lists the staged objects of session id, through the store's own
// listing, so that "nothing left behind" means the same on every store.
func (s *stack) staged(t *testing.T, id string) []string {
	t.Helper()
	var names []string
	err := s.env.Server.Store().ListStaged(t.Context(), "uploads/"+id+"/", func(i blob.Info) error {
		names = append(names, i.Name)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return names
}

// content reads blob digest as a reader of repoKey sees it.
func (s *stack) content(t *testing.T, repoKey, digest string) []byte {
	t.Helper()
	dl, err := s.svc.Lookup(t.Context(), admin, repoKey, digest)
	if err != nil {
		t.Fatalf("Lookup %s in %s: %v", digest, repoKey, err)
	}
	rc, err := s.svc.Store().Open(t.Context(), blob.Digest(dl.Digest), 0, -1)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func (s *stack) state(t *testing.T, id string) meta.Upload {
	t.Helper()
	u, err := s.env.Server.DB().GetUpload(t.Context(), id)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// checkBlob checks a finished upload: the blob under data's SHA-256,
// readable in images, resolvable by sha512:, and nothing of the session
// left staged. A finish by sha512: records the SHA-512 at once (b has it);
// after one by sha256: the node's checksummer records it (ADR 0010 §3),
// which this test server does not run in the background: its step runs
// here.
func (s *stack) checkBlob(t *testing.T, id string, b meta.Blob, data []byte) {
	t.Helper()
	if b.Digest != sha256Of(data) || b.Size != int64(len(data)) {
		t.Fatalf("blob %s (%d bytes), want %s (%d)", b.Digest, b.Size, sha256Of(data), len(data))
	}
	if b.SHA512 != "" && "sha512:"+b.SHA512 != sha512Of(data) {
		t.Errorf("recorded SHA-512 %q, want %s", b.SHA512, sha512Of(data))
	}
	if got := s.content(t, "images", b.Digest); !bytes.Equal(got, data) {
		t.Errorf("stored bytes differ from the uploaded ones (%d vs %d bytes)", len(got), len(data))
	}
	if b.SHA512 == "" {
		s.checksums(t, b.Digest)
	}
	if d, err := s.svc.ResolveDigest(t.Context(), sha512Of(data)); err != nil || d != b.Digest {
		t.Errorf("ResolveDigest(sha512) = %q, %v; want %s", d, err, b.Digest)
	}
	if u := s.state(t, id); u.State != transfer.StateCommitted || u.Digest != b.Digest {
		t.Errorf("session after finish: %s %s", u.State, u.Digest)
	}
	if left := s.staged(t, id); len(left) != 0 {
		t.Errorf("staged objects left after finish: %q", left)
	}
}

// checksums records blob digest's checksums (its SHA-512 among them), as
// the node's checksummer does in the background.
func (s *stack) checksums(t *testing.T, digest string) {
	t.Helper()
	if _, err := s.env.Server.Checksums().Ensure(t.Context(), blob.Digest(digest)); err != nil {
		t.Fatal(err)
	}
}
