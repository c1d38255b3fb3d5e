// Package e2e holds end-to-end tests that drive the real artifortress
// binary as a separate process: crash safety under SIGKILL and bounded
// memory while streaming large blobs. It has no non-test code.
package e2e
