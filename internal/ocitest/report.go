package ocitest

import (
	"fmt"
	"strings"
)

// Limits on what Report prints, so that a registry failing a hundred
// checks still gives a log a person reads: the full text is in the
// result's fields and in the suite's own reports.
const (
	reportMessageBytes = 600
	reportOutputBytes  = 4 << 10
)

// writeReport writes the part of a Report shared by both suites: why the
// run did not pass, each failure, where the suite's own reports are and,
// when the results could not be read, the end of what the suite printed.
func writeReport(b *strings.Builder, problems []string, failures []Failure, output string, showOutput bool, dir string) {
	if len(problems) == 0 {
		b.WriteString("passed\n")
	}
	for _, p := range problems {
		fmt.Fprintf(b, "  - %s\n", p)
	}
	if len(failures) > 0 {
		fmt.Fprintf(b, "%d failed tests:\n", len(failures))
	}
	for _, f := range failures {
		fmt.Fprintf(b, "  %s [%s]\n", f.Name, f.Status)
		if msg := strings.TrimSpace(f.Message); msg != "" {
			fmt.Fprintf(b, "      %s\n", strings.ReplaceAll(clip(msg, reportMessageBytes), "\n", "\n      "))
		}
	}
	if dir != "" {
		fmt.Fprintf(b, "reports in %s\n", dir)
	}
	if showOutput {
		fmt.Fprintf(b, "output (end):\n%s\n", tail(output, reportOutputBytes))
	}
}

// runProblems are the reasons for failing that both suites share: a run
// or report that could not be read, and a non-zero exit status.
func runProblems(who string, exitCode int, err error) []string {
	var p []string
	if err != nil {
		p = append(p, err.Error())
	}
	if exitCode != 0 {
		p = append(p, fmt.Sprintf("the %s exited with status %d", who, exitCode))
	}
	return p
}

// clip shortens s to about n bytes, saying so.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "") + fmt.Sprintf(" … (%d more bytes)", len(s)-n)
}

// tail returns the last n bytes of s, saying so.
func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return fmt.Sprintf("… (%d bytes before)\n", len(s)-n) + strings.ToValidUTF8(s[len(s)-n:], "")
}
