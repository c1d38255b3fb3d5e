// Package remote is what every format's remote repository shares: the
// upstream HTTP client (through the SSRF guard), the metadata cache (a TTL,
// revalidation with ETag and Last-Modified, the stale copy served when the
// upstream fails), one fetch per artifact among concurrent requests, and
// the metrics of it all. A format's handler decides what to fetch and how
// to rewrite it; artifacts are stored through transfer.CacheBlob and
// recorded through catalog.CacheVersion, so cached content is published
// into the remote repository like any other.
package remote
