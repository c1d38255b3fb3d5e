package search

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/artifortress/artifortress/internal/format"
	"github.com/artifortress/artifortress/internal/meta"
)

// Formats finds a format's rules by name (formats.Lookup).
type Formats func(name string) (format.Format, bool)

// The outbox events the index follows. Each names a version whose
// searchability may have changed; the index then re-reads that version from
// the truth tables, so the events' order and payloads do not matter.
const (
	EventPublished         = "version.published"
	EventTombstoned        = "version.tombstoned"
	EventRestored          = "version.restored"
	EventFilesAdded        = "version.files_added"
	EventQuarantined       = "version.quarantined"
	EventQuarantineRelease = "quarantine.released"
	EventQuarantineReject  = "quarantine.rejected"
)

// EventTypes lists the event types Indexer.Handle acts on; it ignores others.
var EventTypes = []string{EventPublished, EventTombstoned, EventRestored, EventFilesAdded, EventQuarantined, EventQuarantineRelease, EventQuarantineReject}

// HandlerName is the name the indexer registers under with the event worker.
const HandlerName = "search"

// Indexer keeps the search index in step with the outbox. It is the event
// worker's handler: idempotent, safe to run on several nodes at once, and
// order-independent, because every event makes it re-derive the version's
// row from the truth tables (upsert when searchable, delete otherwise).
type Indexer struct {
	db      *meta.DB
	formats Formats
}

// NewIndexer returns the indexer over db.
func NewIndexer(db *meta.DB, formats Formats) *Indexer {
	return &Indexer{db: db, formats: formats}
}

// Name returns HandlerName.
func (ix *Indexer) Name() string { return HandlerName }

// EventTypes returns EventTypes (the event worker's optional type filter:
// it then delivers only those).
func (ix *Indexer) EventTypes() []string { return slices.Clone(EventTypes) }

// Handle applies one outbox event. Events of types outside EventTypes are
// ignored (nil). An error — the index is missing or broken, the store does
// not answer, the event names no version — leaves the event to the
// worker's retries; handling an event again, or out of order, is harmless.
func (ix *Indexer) Handle(ctx context.Context, e meta.Event) error {
	if !slices.Contains(EventTypes, e.Type) {
		return nil
	}
	id, err := versionOf(e)
	if err != nil {
		return err
	}
	note := func(tx *meta.Tx) error { return tx.NoteSearchEvent(ctx, e.ID, e.CreatedAt) }
	if ix.db.Dialect() == meta.SQLite {
		// Writers take turns anyway: one commit (one fsync) instead of two.
		err = ix.db.Tx(ctx, func(tx *meta.Tx) error {
			if err := ix.reindex(ctx, tx, id); err != nil {
				return err
			}
			return note(tx)
		})
	} else {
		// Two transactions: holding the state row while writing the index
		// row would serialize the workers of every node on it, and take the
		// two locks in the opposite order of a rebuild step.
		if err = ix.Reindex(ctx, id); err == nil {
			err = ix.db.Tx(ctx, note)
		}
	}
	if err != nil {
		return fmt.Errorf("search: event %d (%s): %w", e.ID, e.Type, err)
	}
	return nil
}

// Reindex makes a version's index row match the truth tables: written when
// the version is searchable, removed otherwise (including when it does not
// exist).
func (ix *Indexer) Reindex(ctx context.Context, versionID string) error {
	return ix.db.Tx(ctx, func(tx *meta.Tx) error { return ix.reindex(ctx, tx, versionID) })
}

func (ix *Indexer) reindex(ctx context.Context, tx *meta.Tx, versionID string) error {
	src, err := tx.SearchSource(ctx, versionID)
	switch {
	case errors.Is(err, meta.ErrNotFound):
		return tx.DeleteSearchRow(ctx, versionID)
	case err != nil:
		return err
	}
	return tx.UpsertSearchRows(ctx, []meta.SearchRow{rowOf(src, ix.formats)})
}

// versionOf finds the version an event is about: the payload's "versionId",
// else an aggregate "version/<id>".
func versionOf(e meta.Event) (string, error) {
	if id, ok := e.Payload["versionId"].(string); ok && id != "" {
		return id, nil
	}
	if id, ok := strings.CutPrefix(e.Aggregate, "version/"); ok && id != "" {
		return id, nil
	}
	return "", fmt.Errorf("search: event %d (%s) names no version: no payload versionId and aggregate %q", e.ID, e.Type, e.Aggregate)
}
