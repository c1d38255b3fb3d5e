// Package npm is the format for npm packages.
//
// Names follow validate-npm-package-name's rules for new packages
// ("name" or "@scope/name", lowercase, URL-safe, at most 214 characters);
// the namespace is the scope without "@". Versions are strict SemVer. The
// manifest is the version's package.json.
package npm
