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
	"sync"
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
	// defaultAgent is the product name of the User-Agent header.
	defaultAgent = "artifortress-admin"
)

var errHeaderTimeout = errors.New("header timeout")

// Client is the one HTTP client of the command line: it joins paths to the
// base URL, authenticates with the bearer token, and maps answers to raw
// bodies or typed errors (*APIError for an answer outside 2xx,
// *TransportError for no answer). Build one with Connection.Client. It is
// safe for concurrent use.
type Client struct {
	base    *url.URL
	token   string // empty: send no Authorization header
	agent   string // product name of the User-Agent header
	timeout time.Duration
	http    *http.Client
}

func newClient(base *url.URL, token string, timeout time.Duration) *Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	// Parallel part uploads keep their connections between parts (the
	// default keeps 2 idle connections per host).
	t.MaxIdleConnsPerHost = 32
	return &Client{base: base, token: token, agent: defaultAgent, timeout: timeout, http: &http.Client{Transport: t}}
}

// WithTimeout returns a copy of c whose requests are bounded by d instead
// (0: no limit, for requests the server may take long to answer, such as
// the assembly of a large upload).
func (c *Client) WithTimeout(d time.Duration) *Client {
	cp := *c
	cp.timeout = d
	return &cp
}

// endpoint returns the absolute URL of escapedPath (segments already escaped
// with url.PathEscape) below the base URL, with query q.
func (c *Client) endpoint(escapedPath string, q url.Values) *url.URL {
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

func (c *Client) newRequest(ctx context.Context, method, escapedPath string, q url.Values, in any, accept string) (*http.Request, error) {
	var body io.Reader
	switch b := in.(type) {
	case nil:
	case jsonBody:
		body = bytes.NewReader(b)
	default:
		raw, err := json.Marshal(in)
		if err != nil {
			return nil, fmt.Errorf("encoding request: %w", err)
		}
		body = bytes.NewReader(raw)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.endpoint(escapedPath, q).String(), body)
	if err != nil {
		return nil, err
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", accept)
	c.identify(req, true)
	return req, nil
}

// identify sets the User-Agent and, when auth is set and the client has a
// token, the Authorization header.
func (c *Client) identify(req *http.Request, auth bool) {
	req.Header.Set("User-Agent", c.agent+"/"+Version)
	if auth && c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
}

// jsonBody is a request body for Call that is already JSON: it is sent
// byte for byte, where json.Marshal would compact it and escape HTML
// characters (for a manifest stored as given).
type jsonBody []byte

// rawResponse is a complete answer, whatever its status.
type rawResponse struct {
	status int
	header http.Header
	body   []byte
}

// send performs one request bounded by the client's timeout and reads the
// whole answer, whatever its status. It fails only with a *TransportError
// (no answer) or an error building the request.
func (c *Client) send(ctx context.Context, method, escapedPath string, q url.Values, in any) (*rawResponse, error) {
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
	return c.readAnswer(ctx, req, resp)
}

// readAnswer reads a whole answer: up to maxResponseBytes of a 2xx body, up
// to maxErrorBytes of any other.
func (c *Client) readAnswer(ctx context.Context, req *http.Request, resp *http.Response) (*rawResponse, error) {
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
			return nil, fmt.Errorf("%s %s: answer larger than %d bytes", req.Method, req.URL.Redacted(), limit)
		}
		body = body[:limit]
	}
	return &rawResponse{status: resp.StatusCode, header: resp.Header, body: body}, nil
}

// Call performs a request whose body, when in is not nil, is in encoded as
// JSON, bounded as a whole by the client's timeout, and returns the raw
// body of a 2xx answer; any other answer becomes an *APIError. When out is
// not nil and the body is not empty, the body is decoded into out.
// escapedPath is below the base URL, its segments escaped (see Pathf).
func (c *Client) Call(ctx context.Context, method, escapedPath string, q url.Values, in, out any) ([]byte, error) {
	resp, err := c.send(ctx, method, escapedPath, q, in)
	if err != nil {
		return nil, err
	}
	return decodeAnswer(method, escapedPath, resp, out)
}

func decodeAnswer(method, where string, resp *rawResponse, out any) ([]byte, error) {
	if !is2xx(resp.status) {
		return nil, apiError(resp.status, resp.header, resp.body)
	}
	if out != nil && len(bytes.TrimSpace(resp.body)) > 0 {
		if err := json.Unmarshal(resp.body, out); err != nil {
			return nil, fmt.Errorf("%s %s: server answered %d with unreadable JSON: %w", method, where, resp.status, err)
		}
	}
	return resp.body, nil
}

// Send uploads size bytes read from body (application/octet-stream, with
// a Content-Length) to escapedPath and handles the answer as Call does. The
// client's timeout bounds the wait for the answer once the body has been
// sent, not the transfer itself. body is read once: to retry, call Send again
// with a fresh reader.
func (c *Client) Send(ctx context.Context, method, escapedPath string, q url.Values, body io.Reader, size int64, out any) ([]byte, error) {
	return c.upload(ctx, method, c.endpoint(escapedPath, q).String(), escapedPath, true, body, size, out)
}

// SendTo is Send to an absolute URL handed out by the server, such as a
// pre-signed part URL. It sends no Authorization header: the URL carries its
// own authorization, and the token must not leak to an object store. The
// answer of an object store (empty, or XML on error) is accepted: an empty
// 2xx body leaves out untouched, and an error without the API's error shape
// becomes an *APIError with code "http_<status>".
func (c *Client) SendTo(ctx context.Context, method, rawURL string, body io.Reader, size int64, out any) ([]byte, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, fmt.Errorf("invalid upload URL from the server: %w", err)
	}
	return c.upload(ctx, method, rawURL, u.Redacted(), false, body, size, out)
}

func (c *Client) upload(ctx context.Context, method, rawURL, where string, auth bool, body io.Reader, size int64, out any) ([]byte, error) {
	req, resp, err := c.exchange(ctx, func(ctx context.Context) (*http.Request, error) {
		req, err := http.NewRequestWithContext(ctx, method, rawURL, nil)
		if err != nil {
			return nil, err
		}
		req.Header.Set("Content-Type", "application/octet-stream")
		req.Header.Set("Accept", "application/json")
		c.identify(req, auth)
		if size > 0 {
			req.Body, req.ContentLength = io.NopCloser(body), size
		} else {
			req.Body, req.ContentLength = http.NoBody, 0
		}
		return req, nil
	})
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	// The answer itself gets the timeout too.
	ctx, cancel := context.WithCancelCause(req.Context())
	defer cancel(nil)
	if c.timeout > 0 {
		t := time.AfterFunc(c.timeout, func() { cancel(errHeaderTimeout) })
		defer t.Stop()
	}
	go func() {
		<-ctx.Done()
		resp.Body.Close() // unblocks the read below
	}()
	raw, err := c.readAnswer(ctx, req, resp)
	if err != nil {
		return nil, err
	}
	return decodeAnswer(method, where, raw, out)
}

// Open performs a request without a body (a download: GET or HEAD) with
// the extra header fields of header, and returns a 2xx answer with its body
// open, to be read and closed by the caller; any other answer becomes an
// *APIError. The client's timeout bounds only the wait for the answer's
// headers, not the transfer of its body.
func (c *Client) Open(ctx context.Context, method, escapedPath string, q url.Values, header http.Header) (*http.Response, error) {
	_, resp, err := c.exchange(ctx, func(ctx context.Context) (*http.Request, error) {
		req, err := c.newRequest(ctx, method, escapedPath, q, nil, "*/*")
		if err != nil {
			return nil, err
		}
		for k, v := range header {
			req.Header[k] = v
		}
		return req, nil
	})
	if err != nil {
		return nil, err
	}
	if !is2xx(resp.StatusCode) {
		defer resp.Body.Close()
		body, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBytes))
		return nil, apiError(resp.StatusCode, resp.Header, body)
	}
	return resp, nil
}

// exchange sends the request build makes (with the exchange's context) and
// returns it with its answer, whose body is open: closing it ends the
// exchange. The client's timeout bounds the wait for the answer's headers,
// counted from the moment the request body has been sent whole (at once
// when there is none), so neither a large upload nor a large download is
// cut short.
func (c *Client) exchange(ctx context.Context, build func(context.Context) (*http.Request, error)) (*http.Request, *http.Response, error) {
	ctx, cancel := context.WithCancelCause(ctx)
	req, err := build(ctx)
	if err != nil {
		cancel(nil)
		return nil, nil, err
	}
	ht := &headerTimer{d: c.timeout, fire: func() { cancel(errHeaderTimeout) }}
	if req.Body == nil || req.Body == http.NoBody {
		ht.arm()
	} else {
		req.Body = &armingBody{rc: req.Body, arm: ht.arm}
	}
	resp, err := c.http.Do(req)
	if ht.stop() && err == nil {
		// The timer fired between the headers and stop: the body is unusable.
		resp.Body.Close()
		err = context.Cause(ctx)
	}
	if err != nil {
		err = c.transportError(ctx, req, err)
		cancel(nil)
		return nil, nil, err
	}
	resp.Body = &cancelingBody{ReadCloser: resp.Body, cancel: func() { cancel(nil) }}
	return req, resp, nil
}

// headerTimer bounds the wait for an answer's headers: armed once the
// request is sent, stopped when the headers arrive.
type headerTimer struct {
	d    time.Duration
	fire func()

	mu      sync.Mutex
	t       *time.Timer
	stopped bool
}

func (h *headerTimer) arm() {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.d > 0 && h.t == nil && !h.stopped {
		h.t = time.AfterFunc(h.d, h.fire)
	}
}

// stop disarms the timer and reports whether it had already fired.
func (h *headerTimer) stop() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.stopped = true
	return h.t != nil && !h.t.Stop()
}

// armingBody arms the header timer once the transport has read the request
// body to its end or closed it.
type armingBody struct {
	rc   io.ReadCloser
	arm  func()
	once sync.Once
}

func (b *armingBody) Read(p []byte) (int, error) {
	n, err := b.rc.Read(p)
	if err != nil {
		b.once.Do(b.arm)
	}
	return n, err
}

func (b *armingBody) Close() error {
	b.once.Do(b.arm)
	return b.rc.Close()
}

// cancelingBody ends an exchange's context when its answer is closed.
type cancelingBody struct {
	io.ReadCloser
	cancel func()
}

func (b *cancelingBody) Close() error {
	err := b.ReadCloser.Close()
	b.cancel()
	return err
}

// stream performs a GET and copies the body of a 2xx answer to w as it
// arrives, without holding it in memory. The timeout bounds only the wait for
// the answer's headers, not the transfer.
func (c *Client) stream(ctx context.Context, escapedPath string, q url.Values, accept string, w io.Writer) (int64, error) {
	resp, err := c.Open(ctx, http.MethodGet, escapedPath, q, http.Header{"Accept": {accept}})
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	return c.copyBody(w, resp)
}

// copyBody copies the body of an answer Open returned to w as it arrives.
// A failure of w is returned as is; a failure reading the answer becomes a
// *TransportError.
func (c *Client) copyBody(w io.Writer, resp *http.Response) (int64, error) {
	n, err := io.Copy(localWriter{w}, resp.Body)
	if err != nil {
		var we *writeError
		if errors.As(err, &we) {
			return n, we.err
		}
		return n, c.transportError(resp.Request.Context(), resp.Request, fmt.Errorf("reading answer after %d bytes: %w", n, err))
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

func (c *Client) transportError(ctx context.Context, req *http.Request, err error) error {
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
	// The registry at /v2/ answers the OCI spec's document; its detail
	// carries the node's own code when the spec has no exact one.
	var oci struct {
		Errors []struct {
			Code    string         `json:"code"`
			Message string         `json:"message"`
			Detail  map[string]any `json:"detail"`
		} `json:"errors"`
	}
	if json.Unmarshal(body, &oci) == nil && len(oci.Errors) > 0 && oci.Errors[0].Code != "" {
		first := oci.Errors[0]
		e.Code, e.Message, e.Details = first.Code, first.Message, first.Detail
		if own, ok := first.Detail["code"].(string); ok && own != "" {
			e.Code = own
			delete(e.Details, "code")
		}
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

// Pathf builds an escaped path for Call, Send and Open: each %s verb of
// format receives one segment, escaped with url.PathEscape, so a segment
// can hold neither a slash nor a query.
func Pathf(format string, segments ...string) string {
	args := make([]any, len(segments))
	for i, s := range segments {
		args[i] = url.PathEscape(s)
	}
	return fmt.Sprintf(format, args...)
}
