package admincli

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/spf13/cobra"
)

// Exit statuses returned by ExitCode.
const (
	exitOK    = 0
	exitAPI   = 1
	exitUsage = 2
)

// UsageError reports a command line the admin tree cannot act on: an unknown
// command or flag, a wrong number of arguments, an invalid flag value or a
// missing setting such as the token. No request is sent. ExitCode maps it
// to 2.
type UsageError struct {
	Err error
}

func (e *UsageError) Error() string { return e.Err.Error() }

// Unwrap returns the underlying error.
func (e *UsageError) Unwrap() error { return e.Err }

func usageErrorf(format string, a ...any) error {
	return &UsageError{Err: fmt.Errorf(format, a...)}
}

// APIError is an answer of the server outside the 2xx range. Code, Message
// and Details come from the API's error body
// {"error":{"code","message","details"}}; when the body has another shape
// (a proxy's error page, say) Code is "http_<status>". ExitCode maps it to 1.
type APIError struct {
	Status    int
	Code      string
	Message   string
	Details   map[string]any
	RequestID string // the answer's X-Request-Id, if any
}

func (e *APIError) Error() string {
	s := e.Code + ": " + e.Message
	if d := formatDetails(e.Details); d != "" {
		s += " (" + d + ")"
	}
	return s
}

// TransportError reports a request that got no HTTP answer: the server could
// not be reached, the connection broke, or --timeout expired. ExitCode maps
// it to 1.
type TransportError struct {
	Method string
	URL    string
	Err    error
}

func (e *TransportError) Error() string {
	return fmt.Sprintf("%s %s: %v", e.Method, e.URL, e.Err)
}

// Unwrap returns the underlying error.
func (e *TransportError) Unwrap() error { return e.Err }

// stepError names the step of a command that failed, for commands that
// run several requests ("uploading a.tgz"). report prints the step before
// an API error, which it otherwise prints alone.
type stepError struct {
	step string
	err  error
}

func (e *stepError) Error() string { return e.step + ": " + e.err.Error() }

// Unwrap returns the error of the step.
func (e *stepError) Unwrap() error { return e.err }

// inStep wraps err, when not nil, with the step it failed in.
func inStep(err error, format string, a ...any) error {
	if err == nil {
		return nil
	}
	return &stepError{step: fmt.Sprintf(format, a...), err: err}
}

// ExitCode maps an error returned by the admin command tree to the process
// exit status: 0 for nil, 2 for a *UsageError anywhere in the chain, and 1
// for anything else (an *APIError, a *TransportError, an unreadable answer,
// a failed write of the output).
func ExitCode(err error) int {
	if err == nil {
		return exitOK
	}
	var ue *UsageError
	if errors.As(err, &ue) {
		return exitUsage
	}
	return exitAPI
}

// report prints err to the command's standard error and returns it
// unchanged, so cobra (silenced) hands it back to the caller of Execute.
func report(cmd *cobra.Command, err error) error {
	w := cmd.ErrOrStderr()
	var ue *UsageError
	var ae *APIError
	switch {
	case errors.As(err, &ue):
		fmt.Fprintf(w, "error: %s\n", sanitize(ue.Error()))
		fmt.Fprintf(w, "Run '%s --help' for usage.\n", cmd.CommandPath())
	case errors.As(err, &ae):
		printAPIError(w, err, ae)
	default:
		fmt.Fprintf(w, "error: %s\n", sanitize(err.Error()))
	}
	return err
}

// printAPIError prints e, after the step that failed when err holds a
// *stepError ("uploading a.tgz: forbidden: ..."), and e's hints.
func printAPIError(w io.Writer, err error, e *APIError) {
	msg := e.Error()
	var se *stepError
	if errors.As(err, &se) {
		msg = se.Error()
	}
	fmt.Fprintf(w, "error: %s\n", sanitize(msg))
	if e.Status == 401 {
		fmt.Fprintln(w, "hint: check the token in ARTIFORTRESS_TOKEN (or --token): it may be wrong, expired or revoked")
	}
	if e.RequestID != "" {
		fmt.Fprintf(w, "request id: %s\n", sanitize(e.RequestID))
	}
}

// formatDetails renders details as "k=v, k2=v2" in key order; values that
// are not strings are shown as compact JSON.
func formatDetails(details map[string]any) string {
	if len(details) == 0 {
		return ""
	}
	keys := make([]string, 0, len(details))
	for k := range details {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		var v string
		switch x := details[k].(type) {
		case string:
			v = x
		default:
			b, err := json.Marshal(x)
			if err != nil {
				v = fmt.Sprint(x)
			} else {
				v = string(b)
			}
		}
		parts = append(parts, k+"="+v)
	}
	return strings.Join(parts, ", ")
}
