package pypi

import (
	"crypto/md5"
	"encoding/hex"
	"hash"
	"io"

	"golang.org/x/crypto/blake2b"

	"github.com/artifortress/artifortress/internal/blob"
	"github.com/artifortress/artifortress/internal/fault"
)

// otherDigests hashes an uploaded file, while it streams into the blob
// store, with the digests a form may declare besides SHA-256 (which the
// ingest computes): MD5 and BLAKE2b-256. Both are computed whatever the
// form says, because a form may declare them after the file.
type otherDigests struct {
	md5, blake2 hash.Hash
	io.Writer
}

func newOtherDigests() *otherDigests {
	b, err := blake2b.New256(nil)
	if err != nil {
		panic(err) // only for a key longer than 64 bytes
	}
	d := &otherDigests{md5: md5.New(), blake2: b}
	d.Writer = io.MultiWriter(d.md5, d.blake2)
	return d
}

// verifyDeclared checks the stored file against every digest the form
// declares: sha256_digest (the ingest verified it while streaming when the
// form sent it before the file; this covers one sent after), md5_digest
// and blake2_256_digest. Each mismatch is a 400 naming its field.
func verifyDeclared(u *Upload, storedDigest string, others *otherDigests) error {
	for _, d := range []struct {
		field, declared, actual string
	}{
		{fieldSHA256, u.SHA256, storedDigest[len(blob.SHA256Prefix):]},
		{fieldMD5, u.MD5, hex.EncodeToString(others.md5.Sum(nil))},
		{fieldBlake2, u.Blake2_256, hex.EncodeToString(others.blake2.Sum(nil))},
	} {
		if d.declared != "" && d.declared != d.actual {
			return fault.Coded(fault.KindBadRequest, CodeDigestMismatch, "the file's %s is %s, the form declares %s", d.field, d.actual, d.declared).
				With("field", d.field).With("expected", d.declared).With("actual", d.actual)
		}
	}
	return nil
}
