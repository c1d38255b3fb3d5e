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
package bench
