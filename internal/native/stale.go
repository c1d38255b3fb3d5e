package native

import (
	"net/http"
	"time"
)

// MarkStale tells the client that metadata of a remote repository comes
// from a cached copy fetched at fetchedAt, which could not be refreshed
// since (the upstream is down): the Warning 110 of RFC 7234 and
// X-Artifortress-Stale with the fetch time.
func MarkStale(w http.ResponseWriter, fetchedAt time.Time) {
	w.Header().Set("Warning", `110 - "Response is Stale"`)
	w.Header().Set("X-Artifortress-Stale", fetchedAt.UTC().Format(time.RFC3339))
}
