package admincli

import (
	"fmt"
	"io"
	"net/http"
	"net/url"

	"github.com/spf13/cobra"
)

func newVersionsDeleteCommand(o *options) *cobra.Command {
	var reason string
	cmd := &cobra.Command{
		Use:     "delete REPO VERSION_ID",
		Aliases: []string{"tombstone"},
		Short:   "Delete a version: tombstone a published one, discard a draft",
		Long: `Delete a version. A published version (held and rejected ones too) is tombstoned
(role admin): it disappears from every read path at once (API, search, native
clients), version.tombstoned is announced, and an administrator can restore it
until its retention window ends (--tombstone-retention on the server, 30 days by
default). Its version string stays taken. A draft is discarded instead (role
write): it never was visible, so nothing is kept. Deleting a tombstoned version
again changes nothing ("Already tombstoned: true").

Blobs are not deleted: they stay readable by digest in the repository until
garbage collection, which never takes what a retained version references.`,
		Example: `  artifortress admin versions delete npm-local ver_0123456789abcdef01234567 --reason "credentials in the tarball"
  artifortress admin versions delete generic-local ver_0123456789abcdef01234567 -o json`,
		Args: exactArgs("REPO", "VERSION_ID"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return o.onVersion(cmd, args, func(s *session, path string) error {
				var query url.Values
				if reason != "" {
					query = url.Values{"reason": {reason}}
				}
				var v packageVersion
				raw, err := s.client.Call(s.ctx, http.MethodDelete, path, query, nil, &v)
				if err != nil {
					return err
				}
				if len(raw) == 0 {
					return s.done(fmt.Sprintf("Discarded draft %s.", sanitize(args[1])))
				}
				return s.print(raw, func(w io.Writer) error { return writeVersion(w, &v) })
			})
		},
	}
	cmd.Flags().StringVar(&reason, "reason", "", "why the version is deleted (kept with the tombstone, in the audit log and the event; at most 1024 bytes)")
	return cmd
}

func newVersionsRestoreCommand(o *options) *cobra.Command {
	return &cobra.Command{
		Use:   "restore REPO VERSION_ID",
		Short: "Restore a tombstoned version within its retention window",
		Long: `Bring a tombstoned version back as it was (role admin): visible on every read path
again, announced as version.restored. Past the retention window the server answers
retention_expired with the time it could have been restored until. A version the
quarantine lane held is still held after a restore. Restoring a published version
changes nothing ("Already published: true").`,
		Example: `  artifortress admin versions restore npm-local ver_0123456789abcdef01234567`,
		Args:    exactArgs("REPO", "VERSION_ID"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return o.onVersion(cmd, args, func(s *session, path string) error {
				var v packageVersion
				raw, err := s.client.Call(s.ctx, http.MethodPost, path+"/restore", nil, nil, &v)
				if err != nil {
					return err
				}
				return s.print(raw, func(w io.Writer) error { return writeVersion(w, &v) })
			})
		},
	}
}

// onVersion runs a command addressed by REPO VERSION_ID: it checks the id,
// opens a session and calls run with the version's API path.
func (o *options) onVersion(cmd *cobra.Command, args []string, run func(s *session, path string) error) error {
	if err := checkVersionID(args[1]); err != nil {
		return err
	}
	s, err := o.session(cmd, false)
	if err != nil {
		return err
	}
	return run(s, versionIDPath(args[0], args[1]))
}
