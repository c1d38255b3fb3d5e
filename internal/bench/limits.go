package bench

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"github.com/artifortress/artifortress/internal/blob"
)

// writeTestFile writes n pseudo-random bytes to path (not timed).
func writeTestFile(path string, n int64) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	if _, err := io.Copy(f, newGen(1, n)); err != nil {
		return err
	}
	return f.Sync()
}

// sha256sumRate times the sha256sum command over path.
func sha256sumRate(ctx context.Context, path string, n int64) (float64, error) {
	start := time.Now()
	if out, err := exec.CommandContext(ctx, "sha256sum", path).CombinedOutput(); err != nil {
		return 0, fmt.Errorf("sha256sum: %v: %s", err, out)
	}
	return float64(n) / 1e6 / time.Since(start).Seconds(), nil
}

// ddRate times dd writing n bytes to dir with fsync, as the disk's limit.
func ddRate(ctx context.Context, dir string, n int64) (float64, error) {
	out := filepath.Join(dir, "dd.bench")
	defer os.Remove(out)
	start := time.Now()
	cmd := exec.CommandContext(ctx, "dd", "if=/dev/zero", "of="+out, "bs=1M", fmt.Sprintf("count=%d", n>>20), "conv=fsync")
	if b, err := cmd.CombinedOutput(); err != nil {
		return 0, fmt.Errorf("dd: %v: %s", err, b)
	}
	return float64(n) / 1e6 / time.Since(start).Seconds(), nil
}

// plainOpener opens the file the plain file server serves for operation i:
// the node's own file of blob digests[i] when its store keeps files (the
// same *os.File, in the same page-cache state), else the one test file
// of the same size (an object store has no file to share).
func plainOpener(ctx context.Context, n *node, testFile string, digests []string) func(i int) (*os.File, error) {
	if n.files == nil {
		return func(int) (*os.File, error) { return os.Open(testFile) }
	}
	return func(i int) (*os.File, error) { return n.files.OpenFile(ctx, blob.Digest(digests[i])) }
}

// plainServeContent serves, for operation i, the file open(i) with
// http.ServeContent over an *os.File, and downloads it ops times at the
// given concurrency over loopback.
func plainServeContent(ctx context.Context, open func(i int) (*os.File, error), ops, concurrency int) (result, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return result{}, err
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		i, err := strconv.Atoi(r.PathValue("i"))
		if err != nil {
			http.Error(w, err.Error(), 400)
			return
		}
		f, err := open(i)
		if err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		defer f.Close()
		http.ServeContent(w, r, "", time.Time{}, f)
	})}
	mux := http.NewServeMux()
	mux.Handle("GET /blob/{i}", srv.Handler)
	srv.Handler = mux
	go srv.Serve(ln)
	defer srv.Close()
	url := "http://" + ln.Addr().String() + "/blob/"
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: concurrency, DisableCompression: true}}
	return run(ops, concurrency, func(i int) (int64, error) {
		req, _ := http.NewRequestWithContext(ctx, "GET", url+strconv.Itoa(i), nil)
		resp, err := client.Do(req)
		if err != nil {
			return 0, err
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return 0, fmt.Errorf("plain file server: status %d", resp.StatusCode)
		}
		return io.Copy(io.Discard, resp.Body)
	})
}

// run performs ops operations with the given concurrency and measures the
// ones that succeed. The first error stops every worker and is returned.
func run(ops, concurrency int, op func(i int) (int64, error)) (result, error) {
	var (
		mu   sync.Mutex
		res  result
		next int
		ferr error
		wg   sync.WaitGroup
	)
	start := time.Now()
	for range concurrency {
		wg.Go(func() {
			for {
				mu.Lock()
				i := next
				next++
				stop := i >= ops || ferr != nil
				mu.Unlock()
				if stop {
					return
				}
				t0 := time.Now()
				n, err := op(i)
				d := time.Since(t0)
				mu.Lock()
				if err != nil {
					if ferr == nil {
						ferr = err
					}
					mu.Unlock()
					return
				}
				res.ops++
				res.bytes += n
				res.latencies = append(res.latencies, d)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	res.wall = time.Since(start)
	return res, ferr
}
