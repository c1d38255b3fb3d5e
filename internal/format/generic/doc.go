// Package generic is the format for raw files uploaded with curl: a flat
// package name, free-form version strings ordered naturally (digit runs
// compared as numbers), and a small JSON manifest naming both.
package generic
