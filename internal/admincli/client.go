package admincli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Version is the version reported in the User-Agent header
// ("artifortress-admin/<Version>"). Builds set it with
// -ldflags "-X github.com/artifortress/artifortress/internal/admincli.Version=1.2.3".
var Version = "dev"

const (
	// maxResponseBytes bounds a JSON answer read into memory; audit export is
	// streamed and not bounded.
	maxResponseBytes = 64 << 20
	// maxErrorBytes bounds an error body read to build an APIError.
	maxErrorBytes = 64 << 10
)

var errHeaderTimeout = errors.New("header timeout")

// client is the one HTTP client of the admin commands: it joins paths to the
// base URL, authenticates, and maps answers to raw bodies or typed errors.
type client struct {
	base    *url.URL
	token   string // empty: send no Authorization header
	timeout time.Duration
	http    *http.Client
}

func newClient(base *url.URL, token string, timeout time.Duration) *client {
	return &client{base: base, token: token, timeout: timeout, http: &http.Client{}}
}

// endpoint returns the absolute URL of escapedPath (segments already escaped
// with url.PathEscape) below the base URL, with query q.
func (c *client) endpoint(escapedPath string, q url.Values) *url.URL {
	u := *c.base
	raw := strings.TrimSuffix(c.base.EscapedPath(), "/") + escapedPath
	p, err := url.PathUnescape(raw)
	if err != nil { // cannot happen: both halves are valid escaped paths
		p = raw
	}
	u.Path, u.RawPath = p, raw
	u.RawQuery = q.Encode()
	u.Fragment = ""
	return &u
}

func (c *client) newRequest(ctx context.Context, method, escapedPath string, q url.Values, in any, accept string) (*http.Request, error) {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return nil, fmt.Errorf("encoding request: %w", err)
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.endpoint(escapedPath, q).String(), body)
	if err != nil {
		return nil, err
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", accept)
	req.Header.Set("User-Agent", "artifortress-admin/"+Version)
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	return req, nil
}

// rawResponse is a complete answer, whatever its status.
type rawResponse struct {
	status int
	header http.Header
	body   []byte
}

// send performs one request bounded by the client's timeout and reads the
// whole answer, whatever its status. It fails only with a *TransportError
// (no answer) or an error building the request.
func (c *client) send(ctx context.Context, method, escapedPath string, q url.Values, in any) (*rawResponse, error) {
	if c.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, c.timeout)
		defer cancel()
	}
	req, err := c.newRequest(ctx, method, escapedPath, q, in, "application/json")
	if err != nil {
		return nil, err
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, c.transportError(ctx, req, err)
	}
	defer resp.Body.Close()
	limit := int64(maxResponseBytes)
	if !is2xx(resp.StatusCode) {
		limit = maxErrorBytes
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return nil, c.transportError(ctx, req, fmt.Errorf("reading answer: %w", err))
	}
	if int64(len(body)) > limit {
		if is2xx(resp.StatusCode) {
			return nil, fmt.Errorf("%s %s: answer larger than %d bytes", method, req.URL.Redacted(), limit)
		}
		body = body[:limit]
	}
	return &rawResponse{status: resp.StatusCode, header: resp.Header, body: body}, nil
}

// call performs a request and returns the raw body of a 2xx answer; any
// other answer becomes an *APIError. When out is not nil and the body is not
// empty, the body is decoded into out.
func (c *client) call(ctx context.Context, method, escapedPath string, q url.Values, in, out any) ([]byte, error) {
	resp, err := c.send(ctx, method, escapedPath, q, in)
	if err != nil {
		return nil, err
	}
	if !is2xx(resp.status) {
		return nil, apiError(resp.status, resp.header, resp.body)
	}
	if out != nil && len(bytes.TrimSpace(resp.body)) > 0 {
		if err := json.Unmarshal(resp.body, out); err != nil {
			return nil, fmt.Errorf("%s %s: server answered %d with unreadable JSON: %w", method, escapedPath, resp.status, err)
		}
	}
	return resp.body, nil
}

// stream performs a GET and copies the body of a 2xx answer to w as it
// arrives, without holding it in memory. The timeout bounds only the wait for
// the answer's headers, not the transfer.
func (c *client) stream(ctx context.Context, escapedPath string, q url.Values, accept string, w io.Writer) (int64, error) {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	req, err := c.newRequest(ctx, http.MethodGet, escapedPath, q, nil, accept)
	if err != nil {
		return 0, err
	}
	var timer *time.Timer
	if c.timeout > 0 {
		timer = time.AfterFunc(c.timeout, func() { cancel(errHeaderTimeout) })
	}
	resp, err := c.http.Do(req)
	if timer != nil && !timer.Stop() && err == nil {
		// The timer fired between the headers and Stop: the body is unusable.
		resp.Body.Close()
		err = context.Cause(ctx)
	}
	if err != nil {
		return 0, c.transportError(ctx, req, err)
	}
	defer resp.Body.Close()
	if !is2xx(resp.StatusCode) {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBytes))
		return 0, apiError(resp.StatusCode, resp.Header, body)
	}
	n, err := io.Copy(localWriter{w}, resp.Body)
	if err != nil {
		var we *writeError
		if errors.As(err, &we) {
			return n, we.err
		}
		return n, c.transportError(ctx, req, fmt.Errorf("reading answer after %d bytes: %w", n, err))
	}
	return n, nil
}

// writeError marks a failure of the local writer during stream, so it is not
// reported as a transport failure.
type writeError struct{ err error }

func (e *writeError) Error() string { return e.err.Error() }

// localWriter wraps the destination of stream so its errors are told apart
// from errors reading the answer.
type localWriter struct{ w io.Writer }

func (l localWriter) Write(p []byte) (int, error) {
	n, err := l.w.Write(p)
	if err != nil {
		err = &writeError{err: err}
	}
	return n, err
}

func (c *client) transportError(ctx context.Context, req *http.Request, err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	if c.timeout > 0 && (errors.Is(err, context.DeadlineExceeded) || errors.Is(context.Cause(ctx), errHeaderTimeout)) {
		err = fmt.Errorf("no answer within %s (see --timeout)", c.timeout)
	}
	return &TransportError{Method: req.Method, URL: req.URL.Redacted(), Err: err}
}

// apiError builds the *APIError of a non-2xx answer.
func apiError(status int, header http.Header, body []byte) *APIError {
	e := &APIError{Status: status, RequestID: header.Get("X-Request-Id")}
	var env struct {
		Error *struct {
			Code    string         `json:"code"`
			Message string         `json:"message"`
			Details map[string]any `json:"details"`
		} `json:"error"`
	}
	if json.Unmarshal(body, &env) == nil && env.Error != nil && env.Error.Code != "" {
		e.Code, e.Message, e.Details = env.Error.Code, env.Error.Message, env.Error.Details
		return e
	}
	e.Code = "http_" + strconv.Itoa(status)
	e.Message = http.StatusText(status)
	if snippet := firstLine(body, 200); snippet != "" {
		e.Message += ": " + snippet
	}
	if e.Message == "" {
		e.Message = "unexpected answer"
	}
	return e
}

func firstLine(b []byte, max int) string {
	s := strings.TrimSpace(string(b))
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = strings.TrimSpace(s[:i])
	}
	if len(s) > max {
		s = s[:max] + "..."
	}
	return s
}

func is2xx(status int) bool { return status >= 200 && status < 300 }

// pathf builds an escaped path: each %s verb receives one segment, escaped
// with url.PathEscape.
func pathf(format string, segments ...string) string {
	args := make([]any, len(segments))
	for i, s := range segments {
		args[i] = url.PathEscape(s)
	}
	return fmt.Sprintf(format, args...)
}
