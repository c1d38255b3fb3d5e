// Package helm is the format for Helm charts in classic chart
// repositories (index.yaml and .tgz files). Charts pushed to OCI
// repositories are OCI artifacts and use the oci format.
//
// Chart names are lowercase DNS-label-like names; versions are strict
// SemVer; the manifest is Chart.yaml as JSON.
package helm
