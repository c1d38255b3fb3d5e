// Package ocitest runs the OCI tools that the tests of the /v2/ registry
// drive (ADR 0010 §7): the distribution-spec conformance runner, its legacy
// Ginkgo suite, and CNCF Distribution as a real registry to proxy or to
// compare with.
//
// scripts/test.sh installs the pinned binaries (oci-conformance,
// oci-conformance-legacy, registry) and puts them on PATH; the helpers find
// them with [testenv.Tool], so a missing one skips the test on a
// workstation and fails it in CI. Everything listens on 127.0.0.1.
//
//	reg := ocitest.StartDistribution(t, ocitest.DistributionOptions{})
//	res := ocitest.RunConformance(t, ocitest.ConformanceOptions{Registry: reg.URL})
//	if !res.Passed() {
//		t.Fatal(res.Report())
//	}
//
// The helpers report, they do not judge: a run whose registry fails checks
// returns normally, and the caller decides with Passed. Only a harness that
// cannot run at all (a bad option, a binary that does not start) fails the
// test from inside.
package ocitest
