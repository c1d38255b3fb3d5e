// Package repo manages repositories (local, remote and virtual, in one of the
// supported formats) and the role bindings that grant subjects roles on them.
// Every change is authorized against the calling principal and writes its
// audit record in the same transaction.
package repo
