// Package formattest holds the checks shared by the format packages'
// tests: field-error assertions, ordering tables and the contract every
// format.Format must keep (Contract).
package formattest
