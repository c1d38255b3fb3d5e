// Package gomod is the "go" format: Go modules served through the GOPROXY
// protocol.
//
// A package is a module path (checked by golang.org/x/mod/module), with no
// namespace; versions are canonical semantic versions "vX.Y.Z[-pre]"
// (pseudo-versions included) or "vX.Y.Z[-pre]+incompatible". The manifest
// records the module path, version, go directive and requirements of the
// version's go.mod.
package gomod
