package transfer_test

import (
	"bytes"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/artifortress/artifortress/internal/config"
	"github.com/artifortress/artifortress/internal/servertest"
	"github.com/artifortress/artifortress/internal/transfer"
)

func TestChunkedUpload(t *testing.T) {
	servertest.ForEachStack(t, func(t *testing.T, b servertest.Backend, opt func(*config.Config)) {
		s := newStack(t, b, opt)
		ctx := t.Context()

		t.Run("many chunks then a sha256 finish", func(t *testing.T) {
			data := randomBytes(1, 700_000)
			cs := s.create(t, admin, "images")
			var at int64
			for i, size := range []int{1, 65_536, 300_000, 7, 200_000} {
				start := at
				if i%2 == 1 {
					start = -1 // docker sends no Content-Range
				}
				if got := s.append(t, cs.ID, start, data[at:at+int64(size)]); got != at+int64(size) {
					t.Fatalf("received after chunk %d: %d, want %d", i, got, at+int64(size))
				}
				at += int64(size)
			}
			st, err := s.svc.ChunkedStatus(ctx, admin, "images", cs.ID)
			if err != nil || st.Received != at || st.Chunks != 5 {
				t.Fatalf("status: %+v %v", st, err)
			}
			blb, err := s.svc.FinishChunked(ctx, admin, "images", cs.ID, sha256Of(data), bytes.NewReader(data[at:]))
			if err != nil {
				t.Fatalf("FinishChunked: %v", err)
			}
			s.checkBlob(t, cs.ID, blb, data)

			// A retry whose answer was lost gets the same blob.
			again, err := s.svc.FinishChunked(ctx, admin, "images", cs.ID, sha256Of(data), nil)
			if err != nil || again.Digest != blb.Digest {
				t.Errorf("finish again: %+v %v", again, err)
			}
			_, err = s.svc.ChunkedStatus(ctx, admin, "images", cs.ID)
			wantCode(t, err, "upload_state_conflict", http.StatusConflict, "status of a finished session")
		})

		t.Run("sha512 finish with the last chunk", func(t *testing.T) {
			data := randomBytes(2, 300_000)
			cs := s.create(t, admin, "images")
			s.append(t, cs.ID, 0, data[:100_000])
			blb, err := s.svc.FinishChunked(ctx, admin, "images", cs.ID, sha512Of(data), bytes.NewReader(data[100_000:]))
			if err != nil {
				t.Fatalf("FinishChunked sha512: %v", err)
			}
			if "sha512:"+blb.SHA512 != sha512Of(data) {
				t.Errorf("a sha512: finish recorded SHA-512 %q, want it at once", blb.SHA512)
			}
			s.checkBlob(t, cs.ID, blb, data)
		})

		t.Run("one chunk is promoted as it is", func(t *testing.T) {
			data := randomBytes(3, 50_000)
			cs := s.create(t, admin, "images")
			blb, err := s.svc.FinishChunked(ctx, admin, "images", cs.ID, sha512Of(data), bytes.NewReader(data))
			if err != nil {
				t.Fatal(err)
			}
			s.checkBlob(t, cs.ID, blb, data)
		})

		t.Run("empty blob", func(t *testing.T) {
			for _, digest := range []string{sha256Of(nil), sha512Of(nil)} {
				cs := s.create(t, admin, "images")
				blb, err := s.svc.FinishChunked(ctx, admin, "images", cs.ID, digest, strings.NewReader(""))
				if err != nil {
					t.Fatalf("finish empty with %s: %v", digest[:6], err)
				}
				s.checkBlob(t, cs.ID, blb, nil)
			}
		})

		t.Run("a start that is not the length is 416 and changes nothing", func(t *testing.T) {
			data := randomBytes(4, 30_000)
			cs := s.create(t, admin, "images")
			s.append(t, cs.ID, 0, data[:10_000])
			for _, start := range []int64{0, 9_999, 10_001, 20_000} {
				_, err := s.svc.AppendChunk(ctx, admin, "images", cs.ID, start, bytes.NewReader(data[10_000:]))
				fe := wantCode(t, err, "upload_range_invalid", http.StatusRequestedRangeNotSatisfiable, fmt.Sprint("start ", start))
				if fe.Details["received"] != int64(10_000) {
					t.Errorf("details: %v", fe.Details)
				}
			}
			if st, err := s.svc.ChunkedStatus(ctx, admin, "images", cs.ID); err != nil || st.Received != 10_000 || st.Chunks != 1 {
				t.Fatalf("after refused chunks: %+v %v", st, err)
			}
			if left := s.staged(t, cs.ID); len(left) != 1 {
				t.Errorf("staged after refused chunks: %q", left)
			}
			s.append(t, cs.ID, 10_000, data[10_000:])
			blb, err := s.svc.FinishChunked(ctx, admin, "images", cs.ID, sha256Of(data), nil)
			if err != nil {
				t.Fatal(err)
			}
			s.checkBlob(t, cs.ID, blb, data)
		})

		t.Run("a wrong digest is 400 and aborts", func(t *testing.T) {
			data := randomBytes(5, 40_000)
			other := randomBytes(6, 40_000)
			for _, digest := range []string{sha256Of(other), sha512Of(other)} {
				cs := s.create(t, admin, "images")
				s.append(t, cs.ID, 0, data[:20_000])
				s.append(t, cs.ID, 20_000, data[20_000:])
				_, err := s.svc.FinishChunked(ctx, admin, "images", cs.ID, digest, bytes.NewReader([]byte("last")))
				fe := wantCode(t, err, "digest_invalid", http.StatusBadRequest, "wrong digest")
				actual := sha256Of(append(data, "last"...))
				if strings.HasPrefix(digest, "sha512:") {
					actual = sha512Of(append(data, "last"...))
				}
				if fe.Details["expected"] != digest || fe.Details["actual"] != actual {
					t.Errorf("details: %v", fe.Details)
				}
				if u := s.state(t, cs.ID); u.State != transfer.StateAborted {
					t.Errorf("state after mismatch: %s", u.State)
				}
				if left := s.staged(t, cs.ID); len(left) != 0 {
					t.Errorf("staged after mismatch: %q", left)
				}
				_, err = s.svc.AppendChunk(ctx, admin, "images", cs.ID, -1, strings.NewReader("more"))
				wantCode(t, err, "upload_state_conflict", http.StatusConflict, "append after mismatch")
			}
			if _, err := s.svc.Lookup(ctx, admin, "images", sha256Of(other)); code(err) != "blob_not_found" {
				t.Errorf("the claimed digest became visible: %v", err)
			}
		})

		t.Run("a malformed digest changes nothing", func(t *testing.T) {
			cs := s.create(t, admin, "images")
			s.append(t, cs.ID, 0, []byte("abc"))
			for _, d := range []string{"", "sha256:abc", "md5:" + strings.Repeat("a", 32), strings.ToUpper(sha256Of(nil)), "sha512:" + strings.Repeat("a", 64)} {
				_, err := s.svc.FinishChunked(ctx, admin, "images", cs.ID, d, nil)
				wantCode(t, err, "digest_invalid", http.StatusBadRequest, "digest "+d)
			}
			blb, err := s.svc.FinishChunked(ctx, admin, "images", cs.ID, sha256Of([]byte("abc")), nil)
			if err != nil {
				t.Fatal(err)
			}
			s.checkBlob(t, cs.ID, blb, []byte("abc"))
		})

		t.Run("abort removes the chunks", func(t *testing.T) {
			cs := s.create(t, admin, "images")
			s.append(t, cs.ID, 0, randomBytes(7, 1000))
			s.append(t, cs.ID, 1000, randomBytes(8, 1000))
			if _, err := s.svc.Abort(ctx, admin, "images", cs.ID); err != nil {
				t.Fatalf("Abort: %v", err)
			}
			if left := s.staged(t, cs.ID); len(left) != 0 {
				t.Errorf("staged after abort: %q", left)
			}
			_, err := s.svc.FinishChunked(ctx, admin, "images", cs.ID, sha256Of(nil), nil)
			wantCode(t, err, "upload_state_conflict", http.StatusConflict, "finish after abort")
		})

		t.Run("the two kinds of session do not mix", func(t *testing.T) {
			cs := s.create(t, admin, "images")
			_, err := s.svc.PutPart(ctx, admin, "images", cs.ID, 1, strings.NewReader("x"))
			wantCode(t, err, "upload_mode_conflict", http.StatusConflict, "PutPart on a chunked session")
			_, err = s.svc.Complete(ctx, admin, "images", cs.ID)
			wantCode(t, err, "upload_mode_conflict", http.StatusConflict, "Complete on a chunked session")
			numbered, err := s.svc.Create(ctx, admin, "images", transfer.CreateRequest{})
			if err != nil {
				t.Fatal(err)
			}
			_, err = s.svc.AppendChunk(ctx, admin, "images", numbered.ID, 0, strings.NewReader("x"))
			wantCode(t, err, "upload_mode_conflict", http.StatusConflict, "AppendChunk on a session of parts")
			_, err = s.svc.FinishChunked(ctx, admin, "images", numbered.ID, sha256Of(nil), nil)
			wantCode(t, err, "upload_mode_conflict", http.StatusConflict, "FinishChunked on a session of parts")
		})

		t.Run("writers only", func(t *testing.T) {
			reader := caller(t, "reader", "repo:images:read")
			_, err := s.svc.CreateChunked(ctx, reader, "images")
			wantCode(t, err, "forbidden", http.StatusForbidden, "CreateChunked as a reader")
			cs := s.create(t, admin, "images")
			_, err = s.svc.AppendChunk(ctx, reader, "images", cs.ID, 0, strings.NewReader("x"))
			wantCode(t, err, "forbidden", http.StatusForbidden, "AppendChunk as a reader")
			_, err = s.svc.ChunkedStatus(ctx, admin, "images", "up_nosuchsession")
			wantCode(t, err, "upload_not_found", http.StatusNotFound, "unknown session")
		})
	})
}

func TestChunkedBlobLimit(t *testing.T) {
	servertest.ForEachStack(t, func(t *testing.T, b servertest.Backend, opt func(*config.Config)) {
		s := newStack(t, b, opt)
		s.env.CreateRepo(t, "tight", map[string]any{"format": "oci", "settings": map[string]any{"maxBlobBytes": 100}})
		ctx := t.Context()
		cs := s.create(t, admin, "tight")
		if _, err := s.svc.AppendChunk(ctx, admin, "tight", cs.ID, 0, bytes.NewReader(make([]byte, 60))); err != nil {
			t.Fatal(err)
		}
		_, err := s.svc.AppendChunk(ctx, admin, "tight", cs.ID, 60, bytes.NewReader(make([]byte, 41)))
		wantCode(t, err, "blob_too_large", http.StatusRequestEntityTooLarge, "chunk past the limit")
		_, err = s.svc.FinishChunked(ctx, admin, "tight", cs.ID, sha256Of(make([]byte, 101)), bytes.NewReader(make([]byte, 41)))
		wantCode(t, err, "blob_too_large", http.StatusRequestEntityTooLarge, "last chunk past the limit")
		if left := s.staged(t, cs.ID); len(left) != 1 {
			t.Errorf("staged after refused chunks: %q", left)
		}
		blb, err := s.svc.FinishChunked(ctx, admin, "tight", cs.ID, sha256Of(make([]byte, 100)), bytes.NewReader(make([]byte, 40)))
		if err != nil || blb.Size != 100 {
			t.Fatalf("finish at the limit: %+v %v", blb, err)
		}
	})
}
