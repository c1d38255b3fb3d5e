package oci

import (
	"runtime"
	"sync"
	"weak"

	"github.com/artifortress/artifortress/internal/remote"
)

// remoteState is what the pull-through cache keeps in memory: the
// registry client (with its upstream tokens) and the blob gate's index.
type remoteState struct {
	upstream *remote.Registry
	blobs    *blobIndex
}

// remoteStates holds each Handler's remoteState. It belongs in Handler,
// built by New; until oci.go gains that field it is found by a weak key,
// so that a handler that is gone (a test's server) takes its state along.
var remoteStates sync.Map // weak.Pointer[Handler] → *remoteState

// remoteState returns h's state, made on first use.
func (h *Handler) remoteState() *remoteState {
	k := weak.Make(h)
	if s, ok := remoteStates.Load(k); ok {
		return s.(*remoteState)
	}
	s, loaded := remoteStates.LoadOrStore(k, &remoteState{upstream: remote.NewRegistry(h.remote), blobs: newBlobIndex()})
	if !loaded {
		runtime.AddCleanup(h, func(k weak.Pointer[Handler]) { remoteStates.Delete(k) }, k)
	}
	return s.(*remoteState)
}
