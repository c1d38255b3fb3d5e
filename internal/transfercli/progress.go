package transfercli

import (
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"
)

// plainEvery is the least time between two plain progress lines. Tests
// shorten it.
var plainEvery = 2 * time.Second

// progressOutput decides how transfers report progress: a progress bar on
// a terminal, plain lines on anything else, nothing when quiet.
type progressOutput struct {
	w     io.Writer
	tty   bool
	quiet bool
}

func newProgressOutput(w io.Writer, quiet bool) progressOutput {
	f, ok := w.(*os.File)
	return progressOutput{w: w, quiet: quiet, tty: ok && term.IsTerminal(int(f.Fd()))}
}

// start begins reporting a transfer of total bytes (-1: unknown) of which
// done are already there. verb names the action in plain lines ("pushed");
// final asks for a last plain line once finished.
func (o progressOutput) start(label, verb string, total, done int64, final bool) *progress {
	p := &progress{label: label, verb: verb, total: total, done: done, final: final, last: time.Now()}
	switch {
	case o.quiet || total == 0:
	case o.tty:
		w := o.w
		p.bar = progressbar.NewOptions64(total,
			progressbar.OptionSetWriter(w),
			progressbar.OptionSetDescription(label),
			progressbar.OptionShowBytes(true),
			progressbar.OptionShowTotalBytes(true),
			progressbar.OptionUseIECUnits(true),
			progressbar.OptionSetPredictTime(true),
			progressbar.OptionShowCount(),
			progressbar.OptionSetWidth(24),
			progressbar.OptionFullWidth(),
			progressbar.OptionThrottle(100*time.Millisecond),
			progressbar.OptionOnCompletion(func() { fmt.Fprintln(w) }),
		)
		if done > 0 {
			_ = p.bar.Set64(done)
		}
	default:
		p.w = o.w
	}
	return p
}

// progress reports one transfer. It is safe for concurrent use; a nil
// *progress reports nothing.
type progress struct {
	label, verb string
	total       int64
	final       bool

	mu   sync.Mutex
	done int64
	bar  *progressbar.ProgressBar
	w    io.Writer // plain lines; nil when there is a bar or nothing to show
	last time.Time
}

// add counts n more bytes; n is negative when a failed attempt's bytes are
// to be sent again.
func (p *progress) add(n int64) {
	if p == nil || n == 0 {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.done += n
	switch {
	case p.bar != nil:
		_ = p.bar.Set64(p.done)
	case p.w != nil:
		if now := time.Now(); now.Sub(p.last) >= plainEvery {
			p.last = now
			p.line()
		}
	}
}

func (p *progress) line() {
	if p.total < 0 {
		fmt.Fprintf(p.w, "%s: %s %s\n", p.label, p.verb, formatBytes(p.done))
		return
	}
	pct := int64(100)
	if p.total > 0 {
		pct = p.done * 100 / p.total
	}
	fmt.Fprintf(p.w, "%s: %s %s of %s (%d%%)\n", p.label, p.verb, formatBytes(p.done), formatBytes(p.total), pct)
}

// finish reports the transfer complete.
func (p *progress) finish() {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	switch {
	case p.bar != nil:
		_ = p.bar.Finish()
	case p.w != nil && p.final:
		if p.total >= 0 {
			p.done = p.total
		}
		p.line()
	}
}

// stop ends the report of a transfer that failed, leaving the bar as it is.
func (p *progress) stop() {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.bar != nil {
		_ = p.bar.Exit()
	}
}

// counter counts the bytes flowing through it into a progress.
type counter struct {
	r io.Reader
	p *progress
	n int64
}

func (c *counter) Read(b []byte) (int, error) {
	n, err := c.r.Read(b)
	c.n += int64(n)
	c.p.add(int64(n))
	return n, err
}
