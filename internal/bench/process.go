package bench

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"
)

// process is a peer server a benchmark started (Verdaccio, Distribution),
// its output in a log file.
type process struct {
	cmd     *exec.Cmd
	exited  chan struct{} // closed when the process has ended
	logFile string
}

// startProcess starts cmd with its output in logFile. The caller must
// call stop; the process is also killed if this one dies (Linux).
func startProcess(cmd *exec.Cmd, logFile string) (process, error) {
	p := process{cmd: cmd, exited: make(chan struct{}), logFile: logFile}
	logf, err := os.Create(logFile)
	if err != nil {
		return p, err
	}
	defer logf.Close() // the child has its own descriptor
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{}
	killWithParent(cmd.SysProcAttr)
	if err := cmd.Start(); err != nil {
		return p, fmt.Errorf("start %s: %v", cmd.Path, err)
	}
	go func() { cmd.Wait(); close(p.exited) }()
	return p, nil
}

// logTail is the end of the process's output, for error messages.
func (p process) logTail() string {
	b, _ := os.ReadFile(p.logFile)
	if len(b) > 2000 {
		b = b[len(b)-2000:]
	}
	return strings.TrimSpace(string(b))
}

// stop ends the process: SIGTERM, then SIGKILL after 5 s. It is safe to
// call more than once.
func (p process) stop() {
	select {
	case <-p.exited:
		return
	default:
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.exited:
	case <-time.After(5 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.exited
	}
}

// waitReady polls GET url until it answers 200, the process exits, ctx
// ends or limit passes; name says whose it is in errors.
func (p process) waitReady(ctx context.Context, name, url string, limit time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	client := &http.Client{Timeout: 2 * time.Second}
	for {
		status := "no answer"
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if resp, err := client.Do(req); err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			status = resp.Status
		}
		select {
		case <-p.exited:
			return fmt.Errorf("%s exited before it answered: %s", name, p.logTail())
		case <-ctx.Done():
			return fmt.Errorf("%s: GET %s: %s after %s: %s", name, url, status, limit, p.logTail())
		case <-time.After(50 * time.Millisecond):
		}
	}
}
