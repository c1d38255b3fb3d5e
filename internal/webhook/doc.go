// Package webhook delivers outbox events to HTTP endpoints that users
// subscribe, following the Standard Webhooks convention
// (https://www.standardwebhooks.com).
//
// # Subscriptions
//
// Service creates, lists, reads, updates and deletes webhooks. Global
// administrators manage every webhook, including ones for every
// repository (an empty Repos list). Repository administrators manage
// webhooks whose Repos they all administer, and must list them: they cannot
// subscribe to every repository. Authorization is checked when a webhook is
// created or changed, not at delivery. Every change writes its audit
// record in the same transaction.
//
// The signing secret is stored as given, because an HMAC needs the key
// itself (it cannot be hashed like a token secret). It is returned once, in
// the result of Create (generated there when none is given), and afterwards
// only in masked form (SecretMask).
//
// Secrets come in two forms:
//
//   - "whsec_" followed by standard base64: the key is the decoded bytes
//     (24 to 256 of them). This is the form Standard Webhooks libraries
//     take, and the form Create generates.
//   - anything else is a raw secret: the key is its bytes as written (24 to
//     256, no control characters). Receivers using a Standard Webhooks
//     library must pass it as "whsec_" + base64(secret), since those
//     libraries base64-decode the secret.
//
// # Delivery
//
// Dispatcher is a handler for the event worker (Name, Handle). For each
// outbox event of a type a webhook subscribes to, whose payload field
// "repo" is one of the webhook's repositories (or any, for a webhook
// without repositories; an event without "repo" reaches only those), it
// POSTs
//
//	{"type": "version.published", "timestamp": "<event time, RFC 3339>", "data": <event payload>}
//
// with the headers
//
//	webhook-id:        msg_<webhook id>_<event id>   (the same on every retry)
//	webhook-timestamp: <Unix seconds of this attempt>
//	webhook-signature: v1,<base64 HMAC-SHA256 of "<id>.<timestamp>.<body>">
//
// through a netguard client, so loopback, private and link-local addresses
// are refused unless allow-listed. Every attempt is recorded in the
// webhook's delivery log (status, response code, latency, error). An
// answer other than 2xx, a transport error, a refused address or a response
// body over the size limit fail the attempt, and Handle returns an error so
// the worker retries later with backoff: delivery is at least once, and
// receivers drop duplicates by webhook-id. An event already delivered to a
// webhook is not sent to it again when the worker re-runs the handler.
// Redirects are not followed.
//
// Verify checks a delivery's signature and timestamp on the receiving
// side.
package webhook
