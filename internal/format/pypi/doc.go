// Package pypi is the format for Python packages.
//
// Project names are validated per PEP 508 and normalised per PEP 503
// ("Foo.Bar_baz" is "foo-bar-baz"); there is no namespace. Versions follow
// PEP 440, parsed and ordered here without third-party code. The manifest
// is the distribution's core metadata as JSON.
package pypi
