package ocitest

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/artifortress/artifortress/internal/registryconf"
	"github.com/artifortress/artifortress/internal/testenv"
)

// RegistryTool is the binary of CNCF Distribution that scripts/test.sh
// installs (pinned there).
const RegistryTool = "registry"

// startTimeout bounds a registry start: it listens within a second or two.
const startTimeout = time.Minute

// DistributionOptions configures StartDistribution.
type DistributionOptions struct {
	// Username and Password, when Username is set, make the registry
	// require HTTP Basic auth (Distribution's htpasswd access controller:
	// 401 with a Basic challenge otherwise), as a private upstream does.
	Username, Password string
}

// Distribution is a CNCF Distribution registry the test started, storing
// on the filesystem under Root. Deletes are enabled, so the conformance
// suites run their management checks.
type Distribution struct {
	URL  string // http://127.0.0.1:port, no trailing slash
	Host string // 127.0.0.1:port, as OCI_REGISTRY and image references name it
	Root string // the storage root directory

	cmd  *exec.Cmd
	done chan struct{} // closed when the process has exited
	stop sync.Once
	logs logBuffer
}

// StartDistribution starts the registry on a port of 127.0.0.1 the kernel
// picks (read back from its log, so no other process can take it in
// between), waits until /v2/ answers, and stops it when the test ends. If
// the test failed, the end of the registry's log is logged.
func StartDistribution(t testing.TB, opts DistributionOptions) *Distribution {
	t.Helper()
	bin := testenv.Tool(t, RegistryTool)
	dir := t.TempDir()
	d := &Distribution{Root: filepath.Join(dir, "storage"), done: make(chan struct{})}
	cfgPath := filepath.Join(dir, "config.yml")
	if err := writeDistributionConfig(cfgPath, d.Root, dir, opts); err != nil {
		t.Fatalf("ocitest: Distribution config: %v", err)
	}

	d.cmd = exec.Command(bin, "serve", cfgPath)
	d.cmd.Env = registryconf.Env()
	pr, pw := io.Pipe()
	d.cmd.Stdout, d.cmd.Stderr = pw, pw
	if err := d.cmd.Start(); err != nil {
		t.Fatalf("ocitest: start %s: %v", bin, err)
	}
	listening := make(chan string, 1)
	logged := make(chan struct{})
	go func() {
		d.readLog(pr, listening)
		close(logged)
	}()
	go func() {
		_ = d.cmd.Wait()
		pw.Close()
		<-logged // done means the last line is in Logs too
		close(d.done)
	}()
	t.Cleanup(func() {
		d.Stop()
		if t.Failed() {
			t.Logf("Distribution log (end):\n%s", tail(d.Logs(), 8<<10))
		}
	})

	select {
	case d.Host = <-listening:
		d.URL = "http://" + d.Host
	case <-d.done:
		t.Fatalf("ocitest: Distribution exited before listening:\n%s", d.Logs())
	case <-time.After(startTimeout):
		t.Fatalf("ocitest: Distribution did not listen within %s:\n%s", startTimeout, d.Logs())
	}
	if err := d.waitReady(); err != nil {
		t.Fatalf("ocitest: Distribution at %s: %v\n%s", d.URL, err, d.Logs())
	}
	return d
}

// writeDistributionConfig writes the registry's configuration: filesystem
// storage under root with deletes enabled, JSON logs at info (the level of
// the "listening on" line), and htpasswd Basic auth when opts has a user.
func writeDistributionConfig(path, root, dir string, opts DistributionOptions) error {
	o := registryconf.Options{Root: root, Listen: "127.0.0.1:0", LogLevel: "info", Delete: true}
	if opts.Username != "" {
		o.Htpasswd = filepath.Join(dir, "htpasswd")
		if err := writeHtpasswd(o.Htpasswd, opts.Username, opts.Password); err != nil {
			return err
		}
	}
	b, err := registryconf.Config(o)
	if err != nil {
		return err
	}
	return os.WriteFile(path, b, 0o600)
}

// readLog keeps the registry's output and sends the address of its
// "listening on" line to listening.
func (d *Distribution) readLog(r io.Reader, listening chan<- string) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 4<<20)
	sent := false
	for sc.Scan() {
		d.logs.add(sc.Text())
		var rec struct {
			Msg string `json:"msg"`
		}
		if !sent && json.Unmarshal(sc.Bytes(), &rec) == nil && strings.HasPrefix(rec.Msg, "listening on ") {
			listening <- strings.TrimPrefix(rec.Msg, "listening on ")
			sent = true
		}
	}
	_, _ = io.Copy(io.Discard, r)
}

// waitReady polls GET /v2/ until the registry answers it (200, or 401 with
// auth on).
func (d *Distribution) waitReady() error {
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, d.URL+"/v2/", nil)
		if err != nil {
			return err
		}
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK || resp.StatusCode == http.StatusUnauthorized {
				return nil
			}
			err = fmt.Errorf("GET /v2/: %s", resp.Status)
		}
		select {
		case <-d.done:
			return fmt.Errorf("exited: %v", err)
		case <-ctx.Done():
			return fmt.Errorf("not ready within %s: %v", startTimeout, err)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// Stop kills the registry and waits for it to exit, so that a test can
// check what a client of a vanished upstream sees: connections to URL are
// refused from then on. It kills rather than asks (a graceful stop takes
// seconds on a busy machine and tests nothing here). The storage under
// Root stays until the test ends. Stop is safe to call more than once,
// and after the test's cleanup has stopped it.
func (d *Distribution) Stop() {
	d.stop.Do(func() {
		_ = d.cmd.Process.Kill()
		<-d.done
	})
}

// Logs returns what the registry has logged (JSON lines; the oldest are
// dropped past a few megabytes).
func (d *Distribution) Logs() string { return d.logs.String() }

// logBuffer keeps the last lines of a process's log, up to logLimit bytes.
type logBuffer struct {
	mu    sync.Mutex
	lines []string
	size  int
}

const logLimit = 4 << 20

func (l *logBuffer) add(line string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.lines = append(l.lines, line)
	l.size += len(line) + 1
	for l.size > logLimit && len(l.lines) > 1 {
		l.size -= len(l.lines[0]) + 1
		l.lines = l.lines[1:]
	}
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.lines, "\n")
}
