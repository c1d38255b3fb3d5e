package meta

import "strings"

// maxBatchRows bounds the rows one multi-row statement reads or writes.
const maxBatchRows = 64

// batchSizes splits n rows into statements of power-of-two sizes (at most
// maxBatchRows each, largest first). A multi-row statement then has one of
// a handful of texts, each prepared once and kept (stmtCache), however
// many rows callers give.
func batchSizes(n int) []int {
	var out []int
	for n > 0 {
		k := maxBatchRows
		for k > n {
			k /= 2
		}
		out = append(out, k)
		n -= k
	}
	return out
}

// valueRows is "(?, …), …": rows tuples of cols placeholders, for a
// multi-row INSERT.
func valueRows(rows, cols int) string {
	tuple := "(" + placeholders(cols) + ")"
	var b strings.Builder
	for i := 0; i < rows; i++ {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(tuple)
	}
	return b.String()
}
