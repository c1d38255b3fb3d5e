package admincli

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
)

// BlobInfo is the answer of the one-shot upload PUT /v1/repos/{repo}/blobs:
// the stored blob's digest and length, and the other checksums when the
// server has computed them.
type BlobInfo struct {
	Digest string `json:"digest"`
	Length int64  `json:"length"`
	MD5    string `json:"md5,omitempty"`
	SHA1   string `json:"sha1,omitempty"`
	SHA512 string `json:"sha512,omitempty"`
}

// blobHead is what blobs head prints: the headers of HEAD
// /v1/repos/{repo}/blobs/{digest}.
type blobHead struct {
	Digest       string `json:"digest"`
	Length       int64  `json:"length"`
	ETag         string `json:"etag"`
	LastModified string `json:"lastModified,omitempty"`
}

func newBlobsCommand(o *options) *cobra.Command {
	cmd := &cobra.Command{
		Use:     "blobs",
		Aliases: []string{"blob"},
		Short:   "Upload a blob in one request, or look one up",
		Long: `Upload a small file as a blob in one request, or check that a blob is readable in a
repository. "artifortress push" and "artifortress pull" move whole files of any
size, with parallel parts, resume and verification.`,
		Example: `  artifortress admin blobs put files ./notes.txt
  artifortress admin blobs head files sha256:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824`,
		Args: cobra.NoArgs,
		RunE: showHelp,
	}
	cmd.AddCommand(newBlobsPutCommand(o), newBlobsHeadCommand(o))
	return cmd
}

func newBlobsPutCommand(o *options) *cobra.Command {
	var digest string
	cmd := &cobra.Command{
		Use:   "put REPO FILE [--digest sha256:HEX]",
		Short: "Upload a file as a blob in one request",
		Long: `Upload FILE as a blob of a local repository in one request (role write), streamed
with its length. With --digest the server refuses the bytes (409
upload_verification_failed) unless they hash to it. Meant for small files: one
request cannot resume; use "artifortress push" for large ones.`,
		Example: `  artifortress admin blobs put files ./notes.txt
  artifortress admin blobs put files ./notes.txt --digest sha256:$(sha256sum notes.txt | cut -c1-64) -o json`,
		Args: exactArgs("REPO", "FILE"),
		RunE: func(cmd *cobra.Command, args []string) error {
			f, size, err := openRegular(args[1])
			if err != nil {
				return err
			}
			defer f.Close()
			s, err := o.session(cmd, false)
			if err != nil {
				return err
			}
			res, raw, _, err := s.putBlob(args[0], f, size, digest)
			if err != nil {
				return err
			}
			return s.print(raw, func(w io.Writer) error {
				return writeFields(w, [][2]string{
					{"Digest", res.Digest},
					{"Length", strconv.FormatInt(res.Length, 10)},
					{"MD5", res.MD5},
					{"SHA-1", res.SHA1},
					{"SHA-512", res.SHA512},
				})
			})
		},
	}
	cmd.Flags().StringVar(&digest, "digest", "", "expected `digest` of the file, sha256:<hex>")
	return cmd
}

func newBlobsHeadCommand(o *options) *cobra.Command {
	return &cobra.Command{
		Use:   "head REPO DIGEST",
		Short: "Check that a blob is readable in a repository and show its length",
		Long: `Ask for a blob's headers without its bytes (role read): exits 0 when the blob is
readable in the repository, 1 when it is not there (http_404) or not yours to read.`,
		Example: `  artifortress admin blobs head files sha256:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824
  artifortress admin blobs head files sha256:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824 -o json`,
		Args: exactArgs("REPO", "DIGEST"),
		RunE: func(cmd *cobra.Command, args []string) error {
			s, err := o.session(cmd, false)
			if err != nil {
				return err
			}
			resp, err := s.client.Open(s.ctx, http.MethodHead, Pathf("/v1/repos/%s/blobs/%s", args[0], args[1]), nil, nil)
			if err != nil {
				var ae *APIError
				if errors.As(err, &ae) && ae.Status == http.StatusNotFound && strings.HasPrefix(ae.Code, "http_") {
					// HEAD answers carry no error body.
					ae.Message = fmt.Sprintf("blob %s not found in repository %s", args[1], args[0])
				}
				return err
			}
			resp.Body.Close()
			res := blobHead{
				Digest:       strings.Trim(resp.Header.Get("ETag"), `"`),
				Length:       resp.ContentLength,
				ETag:         resp.Header.Get("ETag"),
				LastModified: resp.Header.Get("Last-Modified"),
			}
			if res.Digest == "" {
				res.Digest = args[1]
			}
			if s.json() {
				return writeValue(s.out, res)
			}
			return writeFields(s.out, [][2]string{
				{"Digest", res.Digest},
				{"Length", strconv.FormatInt(res.Length, 10)},
				{"ETag", res.ETag},
				{"Last modified", res.LastModified},
			})
		},
	}
}

// putBlob uploads size bytes of f as a blob of repo in one request (PUT
// /v1/repos/{repo}/blobs), streamed, and returns the answer decoded and raw,
// with the SHA-256 digest of the bytes sent ("sha256:<hex>", computed while
// sending) for callers that check the server's answer against it. With
// digest set the server refuses other bytes.
func (s *session) putBlob(repo string, f io.Reader, size int64, digest string) (res BlobInfo, raw []byte, sent string, err error) {
	var q url.Values
	if digest != "" {
		q = url.Values{"digest": {digest}}
	}
	h := sha256.New()
	raw, err = s.client.Send(s.ctx, http.MethodPut, Pathf("/v1/repos/%s/blobs", repo), q, io.TeeReader(f, h), size, &res)
	if err != nil {
		return BlobInfo{}, nil, "", err
	}
	return res, raw, "sha256:" + hex.EncodeToString(h.Sum(nil)), nil
}
