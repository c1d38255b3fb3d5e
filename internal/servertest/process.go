package servertest

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

// Binary builds cmd/artifortress once per test binary and returns its path.
func Binary(t testing.TB) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "artifortress-bin-")
		if err != nil {
			buildErr = err
			return
		}
		_, file, _, _ := runtime.Caller(0)
		root := filepath.Join(filepath.Dir(file), "..", "..")
		binPath = filepath.Join(dir, "artifortress")
		cmd := exec.Command("go", "build", "-o", binPath, "./cmd/artifortress")
		cmd.Dir = root
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

// Process is a running `artifortress serve` or `artifortress worker`.
type Process struct {
	Cmd  *exec.Cmd
	Addr string
	URL  string
	mu   sync.Mutex
	logs bytes.Buffer
	done chan error
}

// StartProcess runs `artifortress serve` on a port the kernel picks, with
// dataDir, extra environment and arguments, and waits until it listens (its
// address is read from the "listening" log line, so no other test can take
// the port in between). It is killed when the test ends if still running.
func StartProcess(t testing.TB, dataDir string, env []string, args ...string) *Process {
	t.Helper()
	return start(t, "serve", "listening", dataDir, env, args)
}

// StartWorker runs `artifortress worker` like StartProcess runs serve, and
// waits until its worker runs.
func StartWorker(t testing.TB, dataDir string, env []string, args ...string) *Process {
	t.Helper()
	return start(t, "worker", "event worker running", dataDir, env, args)
}

// start runs subcommand and waits for its log line msg, which carries the
// address it listens on.
func start(t testing.TB, subcommand, msg, dataDir string, env []string, args []string) *Process {
	t.Helper()
	cmd := exec.Command(Binary(t), append([]string{subcommand, "--listen", "127.0.0.1:0", "--data-dir", dataDir}, args...)...)
	cmd.Env = append(os.Environ(), env...)
	pr, pw := io.Pipe()
	cmd.Stderr = pw
	p := &Process{Cmd: cmd, done: make(chan error, 1)}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	listening := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(pr)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		var once sync.Once
		for sc.Scan() {
			p.mu.Lock()
			p.logs.WriteString(sc.Text() + "\n")
			p.mu.Unlock()
			if addr, ok := listeningAddr(sc.Bytes(), msg); ok {
				once.Do(func() { listening <- addr })
			}
		}
		_, _ = io.Copy(io.Discard, pr)
	}()
	go func() { p.done <- cmd.Wait(); pw.Close() }()
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
			<-p.done
		}
	})
	select {
	case addr := <-listening:
		p.Addr, p.URL = addr, "http://"+addr
	case err := <-p.done:
		t.Fatalf("%s exited before listening: %v\n%s", subcommand, err, p.Logs())
	case <-time.After(60 * time.Second):
		t.Fatalf("%s did not start\n%s", subcommand, p.Logs())
	}
	return p
}

// listeningAddr reads the address from the log line whose message is msg.
func listeningAddr(line []byte, msg string) (string, bool) {
	var rec struct {
		Msg  string `json:"msg"`
		Addr string `json:"addr"`
	}
	if json.Unmarshal(line, &rec) != nil || rec.Msg != msg || rec.Addr == "" {
		return "", false
	}
	return rec.Addr, true
}

// Logs returns what the process logged so far.
func (p *Process) Logs() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.logs.String()
}

// Stop sends SIGTERM and waits for a clean exit.
func (p *Process) Stop(t testing.TB) {
	t.Helper()
	if err := p.Cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-p.done:
		if err != nil {
			t.Fatalf("serve exited with %v after SIGTERM\n%s", err, p.Logs())
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("serve did not stop after SIGTERM")
	}
}

// Kill sends SIGKILL and waits for the process to be gone: a crash.
func (p *Process) Kill(t testing.TB) {
	t.Helper()
	_ = p.Cmd.Process.Signal(syscall.SIGKILL)
	select {
	case <-p.done:
	case <-time.After(30 * time.Second):
		t.Fatalf("serve did not die after SIGKILL")
	}
}

// PeakRSS returns the process's peak resident set size (VmHWM) in bytes.
func (p *Process) PeakRSS(t testing.TB) int64 {
	t.Helper()
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", p.Cmd.Process.Pid))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(raw), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			var kb int64
			fmt.Sscanf(strings.TrimSpace(v), "%d kB", &kb)
			return kb << 10
		}
	}
	t.Fatal("no VmHWM in /proc status")
	return 0
}
