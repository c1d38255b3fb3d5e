package transfercli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"sync/atomic"

	"github.com/artifortress/artifortress/internal/admincli"
)

// partSize picks the part size: --part-size, else the server's; grown to
// fit the server's part count limit unless --part-size fixed it.
func (p *pusher) partSize(sess *admincli.UploadSession, size int64) (int64, error) {
	ps := int64(p.opt.partSize)
	explicit := ps > 0
	if !explicit {
		ps = sess.PartSize
	}
	if ps <= 0 {
		ps = 64 << 20
	}
	if sess.MaxPartSize > 0 && ps > sess.MaxPartSize {
		if explicit {
			return 0, usageErrorf("--part-size %d exceeds the server's largest part, %d bytes", ps, sess.MaxPartSize)
		}
		ps = sess.MaxPartSize
	}
	if max := int64(sess.MaxParts); max > 0 && partCount(size, ps) > int(max) {
		if explicit {
			return 0, usageErrorf("--part-size %d cuts the file into %d parts; the server accepts at most %d", ps, partCount(size, ps), max)
		}
		ps = (size + max - 1) / max
		if sess.MaxPartSize > 0 && ps > sess.MaxPartSize {
			return 0, fmt.Errorf("the file's %d bytes exceed what the server takes in one upload (%d parts of %d bytes)", size, max, sess.MaxPartSize)
		}
	}
	return ps, nil
}

func partCount(size, partSize int64) int {
	return int((size + partSize - 1) / partSize)
}

// oneShot sends the whole file in one request, retried like a part.
func (p *pusher) oneShot(ctx context.Context, f *os.File, label, digest string, size int64) error {
	prog := p.progress.start(label, "pushed", size, 0, true)
	var info admincli.BlobInfo
	err := retry(ctx, func() error {
		body := &counter{r: io.NewSectionReader(f, 0, size), p: prog}
		_, err := p.client.Send(ctx, http.MethodPut, admincli.Pathf("/v1/repos/%s/blobs", p.repo),
			url.Values{"digest": {digest}}, body, size, &info)
		if err != nil {
			prog.add(-body.n)
		}
		return err
	})
	if err == nil && (info.Digest != digest || info.Length != size) {
		err = fmt.Errorf("the server stored %s (%d bytes), not %s (%d bytes)", info.Digest, info.Length, digest, size)
	}
	if err != nil {
		prog.stop()
		return err
	}
	prog.finish()
	return nil
}

// multipart sends the parts the session lacks, then completes and commits
// it. On failure the state file is kept for a resume, unless the server
// refused the bytes.
func (p *pusher) multipart(ctx context.Context, f *os.File, path, label string, sess *admincli.UploadSession, partSize int64, res *pushResult) error {
	size := res.Length
	n := partCount(size, partSize)
	res.Parts = n
	if sess.State == admincli.UploadOpen {
		received := make(map[int]int64, len(sess.Parts))
		for _, part := range sess.Parts {
			received[part.Number] = part.Size
		}
		var todo []int
		var have int64
		for i := 1; i <= n; i++ {
			if s, ok := received[i]; ok && s == partLength(i, partSize, size) {
				have += s
				continue
			}
			todo = append(todo, i)
		}
		res.PartsSent = len(todo)
		prog := p.progress.start(label, "pushed", size, have, true)
		sent, err := p.sendParts(ctx, f, sess.UploadID, todo, partSize, size, prog)
		if err != nil {
			prog.stop()
			p.hintResume(ctx, path, n-len(todo)+sent, n, err)
			return err
		}
		prog.finish()
	}
	if err := p.finish(ctx, sess.UploadID, res.Digest, size); err != nil {
		var ae *admincli.APIError
		if errors.As(err, &ae) && ae.Code == "upload_verification_failed" {
			_ = removeState(path) // the server aborted the session
		} else {
			p.hintResume(ctx, path, n, n, err)
		}
		return err
	}
	return p.forget(path)
}

// partLength is the length of part i (1-based) of a file of size bytes.
func partLength(i int, partSize, size int64) int64 {
	off := int64(i-1) * partSize
	return min(partSize, size-off)
}

// sendParts sends the parts numbered in todo, opt.parallel at a time; the
// first failure stops the others. It reports how many parts arrived.
func (p *pusher) sendParts(ctx context.Context, f *os.File, id string, todo []int, partSize, size int64, prog *progress) (sent int, err error) {
	if len(todo) == 0 {
		return 0, nil
	}
	var ok atomic.Int64
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	jobs := make(chan int)
	workers := min(p.opt.parallel, len(todo))
	done := make(chan struct{}, workers)
	for range workers {
		go func() {
			defer func() { done <- struct{}{} }()
			for n := range jobs {
				off := int64(n-1) * partSize
				if err := p.sendPart(ctx, f, id, n, off, partLength(n, partSize, size), prog); err != nil {
					cancel(fmt.Errorf("part %d: %w", n, err))
					return
				}
				ok.Add(1)
			}
		}()
	}
feed:
	for _, n := range todo {
		select {
		case jobs <- n:
		case <-ctx.Done():
			break feed
		}
	}
	close(jobs)
	for range workers {
		<-done
	}
	return int(ok.Load()), context.Cause(ctx)
}

// sendPart sends one part, streamed from the file, retrying on transport
// errors and 5xx answers.
func (p *pusher) sendPart(ctx context.Context, f *os.File, id string, n int, off, length int64, prog *progress) error {
	partPath := p.uploadPath(id, "/parts/"+strconv.Itoa(n))
	return retry(ctx, func() error {
		body := &counter{r: io.NewSectionReader(f, off, length), p: prog}
		var part admincli.UploadPart
		var err error
		if p.opt.direct {
			var u admincli.PartURL
			if _, err = p.client.Call(ctx, http.MethodPost, partPath+"/url", nil, nil, &u); err == nil {
				_, err = p.client.SendTo(ctx, orDefault(u.Method, http.MethodPut), u.URL, body, length, &part)
			}
		} else {
			_, err = p.client.Send(ctx, http.MethodPut, partPath, nil, body, length, &part)
		}
		if err == nil && part.Number != 0 && part.Size != length {
			err = fmt.Errorf("the server stored %d bytes of part %d, %d were sent", part.Size, n, length)
		}
		if err != nil {
			prog.add(-body.n)
		}
		return err
	})
}
