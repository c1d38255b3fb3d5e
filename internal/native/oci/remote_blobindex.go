package oci

import (
	"context"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/artifortress/artifortress/internal/blob"
	"github.com/artifortress/artifortress/internal/fault"
	ociformat "github.com/artifortress/artifortress/internal/format/oci"
	"github.com/artifortress/artifortress/internal/meta"
	"github.com/artifortress/artifortress/internal/netguard"
	"github.com/artifortress/artifortress/internal/ttlcache"
)

// The blob gate of a remote repository. A remote's layers are not entries
// of its versions (a manifest is cached, and sealed, before any client
// asks for a layer), so what a cached manifest refers to is read from the
// manifest. The index keeps that per image: manifests never change, so
// what it knows stays true, and whether a manifest may be pulled (not
// held, not deleted) is asked of the catalog on every request. A digest
// the index does not know makes it read the manifests it has not read
// yet, cached on this node or another.

// blobOffered is nil when a cached manifest of req's image that the
// caller may pull refers to blob digest (its config, a layer, or the
// manifest itself); a 423 when only manifests the quarantine lane holds
// do; else 404 BLOB_UNKNOWN: the cache serves no blob it has not offered.
func (h *Handler) blobOffered(req *request, digest string) error {
	ib := h.blobs.image(req)
	users := ib.users(digest)
	if len(users) == 0 {
		if err := h.indexImage(req, ib); err != nil {
			return err
		}
		users = ib.users(digest)
	}
	var held error
	for _, m := range users {
		_, err := h.resolve(req, m)
		fe := fault.As(err)
		switch {
		case err == nil:
			return nil
		case fe != nil && fe.Kind == fault.KindLocked:
			held = err
		case fe == nil || fe.Kind != fault.KindNotFound:
			return err
		}
	}
	if held != nil {
		return held
	}
	return fault.Coded(fault.KindNotFound, codeBlobUnknown, "no manifest of %s cached in %q refers to blob %s: pull a manifest that uses it first", req.Name, req.Repo.Key, digest)
}

// indexImage reads into ib the manifests of req's image it has not read:
// those the caller may pull, from the catalog, and those it may not
// (held, rejected, deleted, refused by a policy), from their manifest
// blobs, so that a layer of a held image answers 423 on every node.
func (h *Handler) indexImage(req *request, ib *imageBlobs) error {
	ctx := req.Context()
	_, _, versions, err := h.catalog.Versions(ctx, req.Caller, req.Repo.Key, req.Image)
	if fe := fault.As(err); fe != nil && fe.Code == "package_not_found" {
		return nil
	}
	if err != nil {
		return err
	}
	for _, v := range versions {
		if v.State != meta.VersionPublished || v.Manifest == nil || ib.knows(v.Version) {
			continue
		}
		if d, err := ociformat.Describe(v.Manifest); err == nil {
			ib.add(v.Version, ociformat.DigestOf("sha256:", v.Manifest), d)
		}
	}
	hidden, err := h.catalog.HiddenVersions(ctx, req.Caller, req.Repo.Key, req.Image)
	if err != nil {
		return err
	}
	for version := range hidden {
		if ib.knows(version) || !strings.HasPrefix(version, blob.SHA256Prefix) {
			continue // a sha512 manifest's blob has another name: 404, not 423
		}
		if body, err := h.readStored(ctx, version); err == nil {
			if d, err := ociformat.Describe(body); err == nil {
				ib.add(version, version, d)
			}
		}
	}
	return nil
}

// readStored reads a manifest's bytes from the blob store.
func (h *Handler) readStored(ctx context.Context, digest string) ([]byte, error) {
	rc, err := h.transfer.Store().Open(ctx, blob.Digest(digest), 0, -1)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return netguard.ReadAll(rc, MaxManifestBytes)
}

// blobIndex is the gate's memory: per image of a remote repository, the
// blobs its cached manifests refer to.
type blobIndex struct {
	mu     sync.Mutex
	images *ttlcache.Cache[imageKey, *imageBlobs]
}

// imageKey names an image; a repository re-created under the same key
// is another.
type imageKey struct {
	repo    string
	created int64
	image   string
}

const (
	// maxIndexedImages bounds the images indexed on a node (past it the
	// index starts over, reading manifests again as they are asked for).
	maxIndexedImages = 4096
	// indexTTL forgets images nobody pulled for a while.
	indexTTL = time.Hour
)

func newBlobIndex() *blobIndex {
	return &blobIndex{images: ttlcache.New[imageKey, *imageBlobs](indexTTL, maxIndexedImages)}
}

// image returns the index of req's image, empty when new.
func (x *blobIndex) image(req *request) *imageBlobs {
	k := imageKey{repo: req.Repo.Key, created: req.Repo.CreatedAt.UnixMicro(), image: req.Image}
	now := time.Now()
	x.mu.Lock()
	defer x.mu.Unlock()
	if ib, ok := x.images.Get(k, now); ok {
		return ib
	}
	ib := &imageBlobs{read: map[string]bool{}, usedBy: map[string][]string{}}
	x.images.Put(k, ib, now, x.images.Generation())
	return ib
}

// imageBlobs is what one image's manifests refer to.
type imageBlobs struct {
	mu     sync.Mutex
	read   map[string]bool     // manifest digests read
	usedBy map[string][]string // blob digest → manifests referring to it
}

// add records manifest (by its digest, whose bytes are blob self) and
// what d, its description, refers to.
func (ib *imageBlobs) add(manifest, self string, d ociformat.Described) {
	ib.mu.Lock()
	defer ib.mu.Unlock()
	if ib.read[manifest] {
		return
	}
	ib.read[manifest] = true
	refer := func(digest string) { ib.usedBy[digest] = append(ib.usedBy[digest], manifest) }
	refer(self)
	// Every config and layer is offered, those that carry their bytes
	// in "data" too: a client may still fetch them (oras fetches the
	// empty config), and the upstream serves them.
	if d.Config != nil {
		refer(d.Config.Digest)
	}
	for _, l := range d.Layers {
		refer(l.Digest)
	}
}

// knows reports whether manifest was read.
func (ib *imageBlobs) knows(manifest string) bool {
	ib.mu.Lock()
	defer ib.mu.Unlock()
	return ib.read[manifest]
}

// users are the manifests known to refer to blob digest.
func (ib *imageBlobs) users(digest string) []string {
	ib.mu.Lock()
	defer ib.mu.Unlock()
	return slices.Clone(ib.usedBy[digest])
}
