// Package oci is the format for OCI images and artifacts (and Docker
// schema 2 images) in the catalog.
//
// A package is a repository path ("team/app"); a version is the digest of
// one manifest; the version's manifest is the OCI image manifest or image
// index (or the Docker equivalents) as pushed. Tags are catalog tags, not
// versions. ValidateManifest checks structure only: that the version
// digest matches the manifest bytes is the OCI protocol adapter's job.
package oci
