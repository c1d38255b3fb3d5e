package e2e

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"hash"
	"io"
)

// layerBuf is the block size the layer helpers generate, hash and compare
// in: big enough that per-call costs vanish next to AES and SHA-256.
const layerBuf = 1 << 20

// layer is a pseudo-random blob of size bytes made from seed: the AES-128
// CTR key stream of a key derived from the seed. CTR mode reaches any
// offset directly, so a range is checked without generating the bytes
// before it, and no byte is ever held beyond one buffer. (newGen's
// ChaCha8 cannot seek, and under -race it makes a GiB in about 5 s where
// AES-CTR, all assembly, takes 0.6 s.)
type layer struct {
	seed   uint64
	size   int64
	digest string // sha256:<hex>, once known
}

// reader yields bytes [off, off+n) of the layer, feeding them to sum as
// they go when sum is not nil.
func (l *layer) reader(off, n int64, sum hash.Hash) *layerReader {
	var key [16]byte
	binary.LittleEndian.PutUint64(key[:8], l.seed)
	copy(key[8:], "oci-mem!")
	block, err := aes.NewCipher(key[:])
	if err != nil {
		panic(err) // a 16-byte key cannot fail
	}
	var iv [aes.BlockSize]byte
	binary.BigEndian.PutUint64(iv[8:], uint64(off/aes.BlockSize))
	s := cipher.NewCTR(block, iv[:])
	var skip [aes.BlockSize]byte
	s.XORKeyStream(skip[:off%aes.BlockSize], skip[:off%aes.BlockSize])
	return &layerReader{s: s, n: min(n, l.size-off), sum: sum}
}

// computeDigest generates the whole layer once to learn its digest (a
// monolithic push names it before sending a byte).
func (l *layer) computeDigest() string {
	h := sha256.New()
	if _, err := io.Copy(io.Discard, l.reader(0, l.size, h)); err != nil {
		panic(err) // the generator does not fail
	}
	l.digest = hexDigest(h.Sum(nil))
	return l.digest
}

// layerReader is a window of a layer's key stream.
type layerReader struct {
	s   cipher.Stream
	n   int64
	sum hash.Hash
}

func (r *layerReader) Read(p []byte) (int, error) {
	if r.n <= 0 {
		return 0, io.EOF
	}
	if int64(len(p)) > r.n {
		p = p[:r.n]
	}
	clear(p)
	r.s.XORKeyStream(p, p)
	r.n -= int64(len(p))
	if r.sum != nil {
		r.sum.Write(p)
	}
	return len(p), nil
}

// WriteTo lets io.Copy (and net/http's streaming of a body of unknown
// length) move the layer in layerBuf blocks instead of 32 KiB ones.
func (r *layerReader) WriteTo(w io.Writer) (int64, error) {
	buf := make([]byte, layerBuf)
	var total int64
	for {
		n, err := r.Read(buf)
		if n > 0 {
			m, werr := w.Write(buf[:n])
			total += int64(m)
			if werr != nil {
				return total, werr
			}
		}
		if err == io.EOF {
			return total, nil
		}
	}
}

// hashStream reads body to its end and returns its digest and length.
func hashStream(body io.Reader) (string, int64, error) {
	h := sha256.New()
	n, err := io.CopyBuffer(h, body, make([]byte, layerBuf))
	return hexDigest(h.Sum(nil)), n, err
}

// matchLayer reads exactly n bytes from body and compares them with the
// layer's bytes from off, a buffer at a time; the error names the first
// mismatching offset.
func matchLayer(body io.Reader, l *layer, off, n int64) error {
	want := l.reader(off, n, nil)
	got, exp := make([]byte, layerBuf), make([]byte, layerBuf)
	for done := int64(0); done < n; {
		k := min(int64(layerBuf), n-done)
		if _, err := io.ReadFull(body, got[:k]); err != nil {
			return fmt.Errorf("after %d of %d bytes: %w", done, n, err)
		}
		_, _ = io.ReadFull(want, exp[:k])
		if !bytes.Equal(got[:k], exp[:k]) {
			for i := range k {
				if got[i] != exp[i] {
					return fmt.Errorf("byte %d of the layer differs", off+done+i)
				}
			}
		}
		done += k
	}
	if extra, _ := io.Copy(io.Discard, body); extra > 0 {
		return fmt.Errorf("%d bytes past the %d expected", extra, n)
	}
	return nil
}
