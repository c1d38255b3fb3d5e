package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/artifortress/artifortress/internal/auth"
	"github.com/artifortress/artifortress/internal/blob"
	"github.com/artifortress/artifortress/internal/config"
	"github.com/artifortress/artifortress/internal/server"
	"github.com/artifortress/artifortress/internal/telemetry"
)

// Options select what `bench blobs` measures.
type Options struct {
	Sizes        []int64
	Concurrency  []int
	BudgetBytes  int64         // most bytes one cell moves; larger cells are skipped
	MaxOps       int           // most operations one cell performs
	HeadDuration time.Duration // how long HEAD is measured
}

// DefaultOptions are the sizes and concurrencies the issue names.
func DefaultOptions() Options {
	return Options{
		Sizes:        []int64{4 << 10, 256 << 10, 16 << 20, 1 << 30},
		Concurrency:  []int{1, 8, 32},
		BudgetBytes:  4 << 30,
		MaxOps:       2000,
		HeadDuration: 3 * time.Second,
	}
}

// node is an in-process server on loopback.
type node struct {
	url, token string
	client     *http.Client
	close      func()
	// files opens stored blobs as files when the blob store keeps them on
	// a local filesystem (nil otherwise), so the plain file server can
	// serve the very files the node serves.
	files blob.FileOpener
}

func startNode(ctx context.Context, cfg config.Config) (*node, error) {
	srv, err := server.New(ctx, cfg, telemetry.NewLogger(io.Discard, slog.LevelError))
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		srv.Close()
		return nil, err
	}
	hs := &http.Server{Handler: srv.Handler()}
	go hs.Serve(ln)
	token := cfg.BootstrapToken
	if token == "" {
		raw, err := os.ReadFile(filepath.Join(cfg.DataDir, auth.InitialTokenFile))
		if err != nil {
			hs.Close()
			srv.Close()
			return nil, err
		}
		token = strings.TrimSpace(string(raw))
	}
	n := &node{
		url: "http://" + ln.Addr().String(), token: token,
		client: &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64, DisableCompression: true}},
		close:  func() { hs.Close(); srv.Close() },
	}
	n.files, _ = srv.Store().(blob.FileOpener)
	return n, nil
}

func (n *node) do(ctx context.Context, method, path string, body io.Reader, length int64) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, method, n.url+path, body)
	if err != nil {
		return nil, err
	}
	req.ContentLength = length
	req.Header.Set("Authorization", "Bearer "+n.token)
	return n.client.Do(req)
}

func (n *node) uploadDigest(ctx context.Context, seed uint64, size int64) (string, error) {
	resp, err := n.do(ctx, "PUT", "/v1/repos/bench/blobs", newGen(seed, size), size)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	if resp.StatusCode != 201 {
		b, _ := io.ReadAll(resp.Body)
		return "", fmt.Errorf("upload: %d %s", resp.StatusCode, b)
	}
	var out struct{ Digest string }
	err = json.NewDecoder(resp.Body).Decode(&out)
	return out.Digest, err
}

// uploadMany uploads ops distinct objects of size bytes, conc at a time,
// generated from seeds seed, seed+1, …, and returns their digests.
func (n *node) uploadMany(ctx context.Context, seed uint64, size int64, ops, conc int) ([]string, result, error) {
	digests := make([]string, ops)
	res, err := run(ops, conc, func(i int) (int64, error) {
		d, err := n.uploadDigest(ctx, seed+uint64(i), size)
		digests[i] = d
		return size, err
	})
	return digests, res, err
}

func (n *node) download(ctx context.Context, method, digest string) (int64, error) {
	resp, err := n.do(ctx, method, "/v1/repos/bench/blobs/"+digest, nil, 0)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		return 0, fmt.Errorf("%s: %d", method, resp.StatusCode)
	}
	return io.Copy(io.Discard, resp.Body)
}

// Blobs runs the blob benchmark against a fresh node built from cfg (its
// data directory is created under workDir) and prints the report to out.
func Blobs(ctx context.Context, cfg config.Config, workDir string, opt Options, out io.Writer) error {
	dir, store, err := nodeDir(workDir, "artifortress-bench-", &cfg)
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	fmt.Fprintf(out, "artifortress bench blobs: store %s, metadata %s, work directory %s\n\n", store, dialectOf(cfg), dir)

	lim, err := measureLimits(ctx, dir)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "Limits measured in this run (1 GiB, same disk):\n")
	fmt.Fprintf(out, "  sha256sum                 %8.1f MB/s\n", lim.sha256)
	fmt.Fprintf(out, "  dd bs=1M conv=fsync       %8.1f MB/s\n", lim.dd)
	fmt.Fprintf(out, "  ingest limit (slower)     %8.1f MB/s\n\n", lim.ingest())

	n, err := startNode(ctx, cfg)
	if err != nil {
		return err
	}
	defer n.close()
	if err := createRepo(ctx, n, "bench", "generic"); err != nil {
		return err
	}

	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "op\tsize\tconc\tops\tMB/s\tp50\tp99\tlimit MB/s\tof limit\t\n")
	seed := uint64(1000)
	for _, size := range opt.Sizes {
		plainFile := filepath.Join(dir, "plain-"+human(size))
		if err := writeTestFile(plainFile, size); err != nil {
			return err
		}
		for _, c := range opt.Concurrency {
			if size*int64(c) > opt.BudgetBytes {
				fmt.Fprintf(tw, "upload/download\t%s\t%d\tskipped: %s in flight exceeds the %s budget (--budget)\t\t\t\t\t\t\n", human(size), c, human(size*int64(c)), human(opt.BudgetBytes))
				continue
			}
			ops := int(min(int64(opt.MaxOps), max(int64(c), 2, opt.BudgetBytes/size/4)))
			digests, up, err := n.uploadMany(ctx, seed, size, ops, c)
			if err != nil {
				return err
			}
			seed += uint64(ops)
			fmt.Fprintf(tw, "upload\t%s\t%d\t%d\t%.1f\t%s\t%s\t%.1f\t%.0f%%\t\n", human(size), c, ops, up.mbps(), ms(up.percentile(.5)), ms(up.percentile(.99)), lim.ingest(), 100*up.mbps()/lim.ingest())
			// The peer serves a second set of blobs of the same size, stored
			// by the node the same way: the first read of a freshly stored
			// file costs both servers more than later reads, so each pass
			// of the node is compared with the same pass of the peer.
			peerDigests, _, err := n.uploadMany(ctx, seed, size, ops, c)
			if err != nil {
				return err
			}
			seed += uint64(ops)
			for _, pass := range []string{"download", "download again"} {
				down, err := run(ops, c, func(i int) (int64, error) { return n.download(ctx, "GET", digests[i]) })
				if err != nil {
					return err
				}
				plain, err := plainServeContent(ctx, plainOpener(ctx, n, plainFile, peerDigests), ops, c)
				if err != nil {
					return err
				}
				fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%.1f\t%s\t%s\t%.1f\t%.0f%%\t\n", pass, human(size), c, ops, down.mbps(), ms(down.percentile(.5)), ms(down.percentile(.99)), plain.mbps(), 100*down.mbps()/plain.mbps())
			}
		}
		os.Remove(plainFile)
	}
	tw.Flush()

	head, err := measureHead(ctx, n, opt.HeadDuration)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "\nHEAD of a blob (metadata only), concurrency 32: %.0f requests/s, p50 %s, p99 %s (target 10000/s)\n",
		head.opsPerSec(), ms(head.percentile(.5)), ms(head.percentile(.99)))

	up, down, err := referenceWorkload(ctx, n, seed)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "\nReference workload of the original design (256 KiB objects, concurrency 1):\n")
	fmt.Fprintf(out, "  12 uploads    %8.2f MiB/s   (original: 5.17 MiB/s)\n", up.mbps()*1e6/(1<<20))
	fmt.Fprintf(out, "  36 downloads  %8.2f MiB/s   (original: 31.36 MiB/s)\n", down.mbps()*1e6/(1<<20))
	return nil
}

func dialectOf(cfg config.Config) string {
	if strings.HasPrefix(cfg.DatabaseURL, "postgres") {
		return "postgres"
	}
	return "sqlite"
}

// createRepo creates a local repository of format on the node.
func createRepo(ctx context.Context, n *node, key, format string) error {
	body := `{"key":"` + key + `","type":"local","format":"` + format + `"}`
	resp, err := n.do(ctx, "POST", "/v1/repos", strings.NewReader(body), int64(len(body)))
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != 201 {
		b, _ := io.ReadAll(resp.Body)
		return fmt.Errorf("create repository: %d %s", resp.StatusCode, b)
	}
	return nil
}

func measureHead(ctx context.Context, n *node, d time.Duration) (result, error) {
	digest, err := n.uploadDigest(ctx, 1, 4<<10)
	if err != nil {
		return result{}, err
	}
	deadline := time.Now().Add(d)
	res, err := run(1<<30, 32, func(int) (int64, error) {
		if time.Now().After(deadline) {
			return 0, errStop
		}
		_, err := n.download(ctx, "HEAD", digest)
		return 0, err
	})
	if err == errStop {
		err = nil
	}
	return res, err
}

var errStop = fmt.Errorf("stop")

func referenceWorkload(ctx context.Context, n *node, seed uint64) (up, down result, err error) {
	const size = 256 << 10
	digests := make([]string, 12)
	up, err = run(12, 1, func(i int) (int64, error) {
		d, err := n.uploadDigest(ctx, seed+uint64(i), size)
		digests[i] = d
		return size, err
	})
	if err != nil {
		return
	}
	down, err = run(36, 1, func(i int) (int64, error) { return n.download(ctx, "GET", digests[i%12]) })
	return
}

type limits struct{ sha256, dd float64 }

func (l limits) ingest() float64 { return min(l.sha256, l.dd) }

func measureLimits(ctx context.Context, dir string) (limits, error) {
	const n = 1 << 30
	f := filepath.Join(dir, "limit.bin")
	defer os.Remove(f)
	if err := writeTestFile(f, n); err != nil {
		return limits{}, err
	}
	sha, err := sha256sumRate(ctx, f, n)
	if err != nil {
		return limits{}, err
	}
	dd, err := ddRate(ctx, dir, n)
	if err != nil {
		return limits{}, err
	}
	return limits{sha256: sha, dd: dd}, nil
}

// nodeDir makes a fresh directory under workDir for a benchmark's node,
// points cfg's data directory into it and names the blob store the node
// will use. The caller removes the directory.
func nodeDir(workDir, prefix string, cfg *config.Config) (dir, store string, err error) {
	dir, err = os.MkdirTemp(workDir, prefix)
	if err != nil {
		return "", "", err
	}
	cfg.DataDir = filepath.Join(dir, "data")
	store = "filesystem"
	if cfg.BlobStore != "" {
		store = cfg.BlobStore
	}
	return dir, store, nil
}
