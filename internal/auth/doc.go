// Package auth is identity and authorization: personal access tokens (issued,
// verified, revoked; stored only as SHA-256 hashes and compared in constant
// time), scopes and repository roles, role bindings, the bootstrap
// administrator, and the decision whether a principal may act on a repository.
//
// A principal's grants are the union of its token's scopes and the role
// bindings of its subject. Roles imply others: admin implies write, promote and
// read; write and promote each imply read. The global "admin" scope implies
// everything.
package auth
