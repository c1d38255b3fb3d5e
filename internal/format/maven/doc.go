// Package maven is the format for Maven artifacts (and Gradle and sbt,
// which publish to Maven repositories).
//
// A package is "groupId:artifactId" with the groupId as namespace, both
// case-preserving. Versions are nearly free-form and ordered by Maven's
// ComparableVersion algorithm, re-implemented in comparable.go. The
// manifest holds the POM coordinates and packaging.
package maven
