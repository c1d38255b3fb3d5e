// Package api is the /v1 JSON API: identity (tokens), repositories, role
// bindings and the audit trail. Handlers return errors; one adapter
// (writeError) turns domain errors into the /v1 error shape
// {"error":{"code","message","details"}} and logs what clients must not see.
//
// Every route is declared once in routes(); Routes exposes the table so the
// authorization matrix test can prove that no route goes untested.
package api
