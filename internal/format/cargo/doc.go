// Package cargo is the format for Rust crates served through Cargo's
// sparse registry protocol.
//
// Crate names are ASCII, start with a letter and have at most 64
// characters; they are stored lowercase. Versions are strict SemVer. The
// manifest is the crate version's registry index entry.
package cargo
