package transfer

import (
	"context"
	"errors"
	"hash"
	"io"
	"sync"
	"sync/atomic"
)

// A chunk streams through a ring of hashBufs buffers of hashBufSize bytes:
// the memory one append holds, whatever the chunk's size (invariant 10).
const (
	hashBufSize = 256 << 10
	hashBufs    = 4
)

var hashBufPool = sync.Pool{New: func() any { b := make([]byte, hashBufSize); return &b }}

// errOverLimit: the stream went past the limit hashCopy was given.
var errOverLimit = errors.New("transfer: stream over the limit")

// hashCopy copies r to w until r ends, feeding every byte to h256 and h512
// (resumed states: a chunk continues the session's hashes). SHA-256 runs
// on the reading goroutine, SHA-512 and the writes each on a goroutine of
// their own, so that the three overlap instead of adding up: invariant 1
// forbids chaining hashes serially on the hot path, and SHA-512 is the
// slower of the two. It stops with errOverLimit as soon as more than limit
// bytes arrived (limit < 0: none). It returns the bytes copied; after an
// error, h256, h512 and w hold an unknown prefix of them.
//
// blob.Ingest has the same ring with a single fresh SHA-256; the resumed
// states and the second hash are what this one adds.
func hashCopy(ctx context.Context, w io.Writer, r io.Reader, h256, h512 hash.Hash, limit int64) (int64, error) {
	var ring [hashBufs]*[]byte
	for i := range ring {
		ring[i] = hashBufPool.Get().(*[]byte)
	}
	defer func() {
		for _, b := range ring {
			hashBufPool.Put(b)
		}
	}()
	// Each consumer takes the buffers in order and signals when done with
	// one, so one signal from each frees the oldest buffer in flight.
	toWrite, toHash := make(chan []byte, hashBufs), make(chan []byte, hashBufs)
	written, hashed := make(chan struct{}, hashBufs), make(chan struct{}, hashBufs)
	var writeFailed atomic.Bool
	writeErr := make(chan error, 1)
	go func() {
		var err error
		for b := range toWrite {
			if err == nil {
				if _, err = w.Write(b); err != nil {
					writeFailed.Store(true)
				}
			}
			written <- struct{}{}
		}
		writeErr <- err
	}()
	hashDone := make(chan struct{})
	go func() {
		for b := range toHash {
			h512.Write(b)
			hashed <- struct{}{}
		}
		close(hashDone)
	}()

	var size int64
	var readErr error
	inFlight := 0
	for slot := 0; !writeFailed.Load(); slot = (slot + 1) % hashBufs {
		if err := ctx.Err(); err != nil {
			readErr = err
			break
		}
		if inFlight == hashBufs {
			<-written
			<-hashed
			inFlight--
		}
		buf := *ring[slot]
		n, err := io.ReadFull(r, buf)
		if n > 0 {
			if size += int64(n); limit >= 0 && size > limit {
				readErr = errOverLimit
				break
			}
			h256.Write(buf[:n])
			toWrite <- buf[:n]
			toHash <- buf[:n]
			inFlight++
		}
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			break
		}
		if err != nil {
			readErr = err
			break
		}
	}
	close(toWrite)
	close(toHash)
	werr := <-writeErr // both consumers have finished with every buffer
	<-hashDone
	if readErr != nil {
		return size, readErr
	}
	return size, werr
}
