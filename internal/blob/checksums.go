package blob

import (
	"context"
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha512"
	"encoding/hex"
	"hash"
	"io"
	"sync"
)

// Checksums are the digests some formats need besides SHA-256 (npm: SHA-512
// integrity and SHA-1 shasum; Maven: MD5 and SHA-1). They are computed off
// the ingest path, in one read of the stored blob, the three hashes running
// in parallel.
type Checksums struct {
	MD5    string
	SHA1   string
	SHA512 string
}

// ComputeChecksums reads blob d once and returns its MD5, SHA-1 and SHA-512.
func ComputeChecksums(ctx context.Context, s Store, d Digest) (Checksums, error) {
	rc, err := s.Open(ctx, d, 0, -1)
	if err != nil {
		return Checksums{}, err
	}
	defer rc.Close()
	return checksumsOf(ctx, rc)
}

func checksumsOf(ctx context.Context, r io.Reader) (Checksums, error) {
	hashes := []hash.Hash{md5.New(), sha1.New(), sha512.New()}
	feeds := make([]chan []byte, len(hashes))
	var done sync.WaitGroup // one Done per hash per chunk
	var exited sync.WaitGroup
	for i, h := range hashes {
		feeds[i] = make(chan []byte)
		exited.Add(1)
		go func() {
			defer exited.Done()
			for b := range feeds[i] {
				h.Write(b)
				done.Done()
			}
		}()
	}
	bp := chunkPool.Get().(*[]byte)
	defer chunkPool.Put(bp)
	buf := *bp
	var err error
	for {
		if err = ctx.Err(); err != nil {
			break
		}
		n, rerr := io.ReadFull(r, buf)
		if n > 0 {
			done.Add(len(hashes))
			for _, f := range feeds {
				f <- buf[:n]
			}
			done.Wait() // every hash is finished with buf before it is reused
		}
		if rerr == io.EOF || rerr == io.ErrUnexpectedEOF {
			break
		}
		if rerr != nil {
			err = rerr
			break
		}
	}
	for _, f := range feeds {
		close(f)
	}
	exited.Wait()
	if err != nil {
		return Checksums{}, err
	}
	return Checksums{
		MD5:    hex.EncodeToString(hashes[0].Sum(nil)),
		SHA1:   hex.EncodeToString(hashes[1].Sum(nil)),
		SHA512: hex.EncodeToString(hashes[2].Sum(nil)),
	}, nil
}
