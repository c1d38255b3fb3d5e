// Package search is the search read model: an index of published versions
// derived from the truth tables, kept in step by the outbox and rebuildable
// from scratch, with a query service that shows each caller only what it
// may read.
//
//	catalog.Publish ── one tx: version + audit + outbox event
//	                                      │ event worker (at least once, any order)
//	                                      ▼
//	Indexer.Handle ── re-reads the version (meta.SearchSource) ──▶ upsert or delete its row
//	                                                                 (search_index + full text)
//	Service.StartRebuild ──▶ search_state: running ──▶ Run → Step: a batch of published
//	                         versions by id, upserted with the position in one tx;
//	                         at the end, rows the rebuild did not write are swept
//	Service.Search ──▶ readable repositories ──▶ meta.Search: exact, prefix, then word
//	                   tier, each newest first; every hit re-checked against versions
//
// Every event is only a hint that a version changed: the indexer derives the
// row from the version itself, so handling an event twice, late or out of
// order converges to the same index.
//
// Matching: the query text is split into words (runs of letters and digits,
// lowercase; a dotted number such as 1.2 is also one word, so that versions
// match as a whole). A version is a hit when every query word starts one of
// its words — from its package's full name, namespace and name, its
// version, and its manifest's description or summary, keywords and licence
// — or when its package's name or full name starts with the text. Hits
// rank by score: the name or full name equals the text (3), starts with it
// (2), other words (1); then newest published first. A cursor pages
// stably through them. SQLite keeps the words in an FTS5 table with prefix
// indexes, PostgreSQL in a tsvector column ('simple' configuration) with a
// GIN index; both give the same results.
//
// The index is expendable: no foreign key or trigger ties it to the truth
// tables, so when it is missing or broken Search answers 503
// search_unavailable, Handle returns the error for the worker to retry, and
// publishing and every other read keep working. StartRebuild repairs a
// broken index (recreates it empty) and fills it again.
package search
