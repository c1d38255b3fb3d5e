// Package search is the search read model: an index of published versions
// derived from the truth tables, kept in step by the outbox and rebuildable
// from scratch, with a query service that shows each caller only what it
// may read.
//
//	publish (catalog) ── tx: version + audit + outbox event
//	                                      │ event worker (at least once, any order)
//	                                      ▼
//	Indexer.Handle ── re-reads the version (meta.SearchSource) ──▶ upsert or delete its row
//	                                                                  search_index (+ full text)
//	Service.StartRebuild ─▶ search_state: running ─▶ Run/Step: batches of published
//	                        versions by id, upserted with their position in one tx;
//	                        at the end rows not rewritten are swept
//	Service.Search ─▶ readable repositories ─▶ meta.Search (full text, filters,
//	                  rank, cursor; each hit re-checked against versions.state)
//
// Every event is only a hint that a version changed: the indexer derives the
// row from the version itself, so handling an event twice, late or out of
// order converges to the same index. SQLite uses an FTS5 table over the
// rows' words, PostgreSQL a tsvector column with a GIN index; both match
// every query word as a prefix. Hits rank by score — the package's name or
// full name equals the query (3), starts with it (2), other words (1) — then
// newest published first, with a cursor that pages stably.
//
// The index is expendable: no foreign key or trigger ties it to the truth
// tables, so when it is missing or broken Search answers 503
// search_unavailable, Handle returns the error for the worker to retry, and
// publishing and every other read keep working. StartRebuild repairs a
// broken index (recreates it empty) and fills it again.
package search
