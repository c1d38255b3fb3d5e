// Package bench measures the blob data plane of a real node and prints the
// figures beside the limits they are judged against, measured in the same
// run on the same machine: `artifortress bench blobs`.
//
// Limits:
//   - ingest: the slower of hashing the bytes with sha256sum and writing them
//     to the same disk with fsync (dd bs=1M conv=fsync); one pass over the
//     bytes can go no faster;
//   - download: a plain http.ServeContent over the same *os.File (sendfile)
//     on the same loopback, the fastest a Go file server serves;
//   - HEAD: answered from metadata, reported as requests/s.
//
// `artifortress bench npm` measures an npm repository's packument and
// tarball GETs beside a peer serving the same packages in the same run:
// Verdaccio, started from the path scripts/bench-npm-peer.sh prints.
//
// `artifortress bench oci` measures the /v2/ registry beside CNCF
// Distribution (the registry binary scripts/test.sh installs, started
// without auth on the same disk): layer pushes the way docker sends them
// and the spec's monolithic forms, image pulls, pushes of many small
// manifests by tag, and manifest GETs and blob HEADs at several
// concurrencies.
package bench
