// Package admincli implements "artifortress admin", the command line client
// of the Artifortress /v1 HTTP API described in docs/api.md.
//
// NewCommand returns the "admin" command tree, ready to be added to the
// binary's root command:
//
//	root.AddCommand(admincli.NewCommand())
//	err := root.ExecuteContext(ctx)
//	os.Exit(admincli.ExitCode(err))
//
// Every command of the tree prints its own errors to standard error (API
// errors as "error: <code>: <message>") and silences cobra's printing and
// usage dump, so the caller should only map the returned error to an exit
// status with ExitCode: 0 on success, 1 when the server answered an error or
// could not be reached, 2 when the command line itself was wrong.
//
// The server address and credentials come from the --url and --token flags,
// falling back to the ARTIFORTRESS_URL and ARTIFORTRESS_TOKEN environment
// variables (then to http://127.0.0.1:8080 for the address). The variable is
// the preferred way to pass the token, since flag values are visible to other
// users in the process list.
//
// The tree installs no PersistentPreRun hooks, so hooks on the root command
// keep running.
//
// Other command trees that talk to the same API (artifortress push and pull,
// in package transfercli) reuse its pieces rather than their own: Connection
// for the --url, --token and --timeout flags and their environment
// fallbacks, Client (the one HTTP client: JSON calls, streamed uploads,
// downloads), the error types with ExitCode, ReportErrors for the same error
// printing, and the API's upload and blob resources (UploadSession,
// UploadPart, UploadRequest, PartURL, BlobInfo).
package admincli
