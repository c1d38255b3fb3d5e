// Package manifest reads a version manifest — one JSON object holding an
// ecosystem's own metadata — field by field for the format packages.
//
// Every failure is a *format.FieldError whose Field is the JSON path of the
// offending value ("manifest.deps[2].req"), so each format reports errors
// the same way without repeating the decoding code. Manifests are treated
// as hostile: the document size is bounded, every array and map a caller
// iterates is bounded by the caller, and nothing panics. Duplicate keys are
// tolerated; the last one wins, as with encoding/json.
package manifest
