// Package rubygems is the format for Ruby gems.
//
// Gem names are case-preserving; versions follow Gem::Version, parsed and
// ordered here as RubyGems does (a version with a letter is a
// pre-release, and "1.0.a" < "1.0"); the manifest is the gemspec's main
// fields as JSON.
package rubygems
