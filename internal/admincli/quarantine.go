package admincli

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"

	"github.com/spf13/cobra"
)

// quarantineStatuses are the statuses of the items of a quarantine lane.
var quarantineStatuses = []string{"quarantined", "released", "rejected"}

// maxReasonCell bounds the reason of an item in a list of the lane.
const maxReasonCell = 80

// quarantineItem is the API's quarantine item: a version a policy held, and
// the decision taken on it.
type quarantineItem struct {
	ID        string   `json:"id"`
	Repo      string   `json:"repo"`
	VersionID string   `json:"versionId"`
	Package   string   `json:"package"`
	Version   string   `json:"version"`
	Status    string   `json:"status"`
	Reason    string   `json:"reason"`
	Policies  []string `json:"policies"`
	CreatedAt string   `json:"createdAt"`
	DecidedBy string   `json:"decidedBy"`
	DecidedAt string   `json:"decidedAt"`
	Note      string   `json:"note"`
}

// quarantinePath returns the escaped path of the quarantine lane of repo,
// or of its item id when id is not empty.
func quarantinePath(repo, id string) string {
	if id == "" {
		return Pathf("/v1/repos/%s/quarantine", repo)
	}
	return Pathf("/v1/repos/%s/quarantine/%s", repo, id)
}

func newQuarantineCommand(o *options) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "quarantine",
		Short: "Review the versions policies held: list, release, reject",
		Long: `Review a repository's quarantine lane: the versions a policy with action (or
on-error) quarantine held when they were published or promoted there. A held
version is published but hidden: reads of it answer 423 quarantined, lists and
search leave it out. Needs role promote on the repository.

  list     the lane, newest first: held (quarantined), released and rejected items
  get      one item: the version, the reason, the policies that held it
  release  make the version visible at once (announced as published)
  reject   keep it hidden for good

An item is decided once; the decision, its author and note are kept. The policy
evaluations behind an item are "artifortress admin versions evaluations".`,
		Example: `  artifortress admin quarantine list npm-local --status quarantined
  artifortress admin quarantine get npm-local qua_0123456789abcdef01234567
  artifortress admin quarantine release npm-local qua_0123456789abcdef01234567 --note "license checked by legal"
  artifortress admin quarantine reject npm-local qua_0123456789abcdef01234567 --note "ships a GPL dependency"`,
		Args: cobra.NoArgs,
		RunE: showHelp,
	}
	cmd.AddCommand(
		newQuarantineListCommand(o),
		newQuarantineGetCommand(o),
		newQuarantineDecideCommand(o, "release"),
		newQuarantineDecideCommand(o, "reject"),
	)
	return cmd
}

func newQuarantineListCommand(o *options) *cobra.Command {
	var (
		status string
		pages  pageFlags
	)
	cmd := &cobra.Command{
		Use:   "list REPO [--status quarantined|released|rejected] [--limit N] [--cursor C | --all]",
		Short: "List the quarantine lane of a repository, newest first",
		Long: `List the items of a repository's quarantine lane, newest first: every status, or
with --status the held (quarantined), released or rejected ones.

The server answers one page (--limit items, 100 by default, at most 1000); when more
remain, the table output names the cursor of the next page on standard error and
-o json carries it as nextCursor. --all follows the cursors.`,
		Example: `  artifortress admin quarantine list npm-local
  artifortress admin quarantine list npm-local --status quarantined
  artifortress admin quarantine list npm-local --all -o json`,
		Args: exactArgs("REPO"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkSegments([]string{"REPO"}, args); err != nil {
				return err
			}
			q := url.Values{}
			if cmd.Flags().Changed("status") {
				if err := oneOf("--status", status, quarantineStatuses...); err != nil {
					return err
				}
				q.Set("status", status)
			}
			if err := pages.query(cmd, q); err != nil {
				return err
			}
			s, err := o.session(cmd, false)
			if err != nil {
				return err
			}
			return pages.fetch(s, "quarantine list", "items", quarantinePath(args[0], ""), q, func(w io.Writer, raw []json.RawMessage) error {
				items, err := decodeItems[quarantineItem](raw, "quarantine item")
				if err != nil {
					return err
				}
				t := newTable(w, "ID", "PACKAGE", "VERSION", "STATUS", "CREATED", "REASON")
				for _, it := range items {
					t.row(it.ID, it.Package, it.Version, it.Status, it.CreatedAt, clip(it.Reason, maxReasonCell))
				}
				return t.flush()
			})
		},
	}
	cmd.Flags().StringVar(&status, "status", "", "only items of this `status`: quarantined (held), released or rejected")
	_ = cmd.RegisterFlagCompletionFunc("status", fixedCompletion(quarantineStatuses...))
	pages.register(cmd, "items", 100, 1000)
	return cmd
}

func newQuarantineGetCommand(o *options) *cobra.Command {
	return &cobra.Command{
		Use:   "get REPO ID",
		Short: "Show an item of the quarantine lane",
		Example: `  artifortress admin quarantine get npm-local qua_0123456789abcdef01234567
  artifortress admin quarantine get npm-local qua_0123456789abcdef01234567 -o json`,
		Args: exactArgs("REPO", "ID"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkSegments([]string{"REPO", "ID"}, args); err != nil {
				return err
			}
			s, err := o.session(cmd, false)
			if err != nil {
				return err
			}
			return s.printQuarantine(http.MethodGet, quarantinePath(args[0], args[1]), nil)
		},
	}
}

// newQuarantineDecideCommand returns "release" or "reject".
func newQuarantineDecideCommand(o *options, decision string) *cobra.Command {
	var note string
	cmd := &cobra.Command{
		Use:     decision + " REPO ID [--note TEXT]",
		Example: fmt.Sprintf("  artifortress admin quarantine %[1]s npm-local qua_0123456789abcdef01234567\n  artifortress admin quarantine %[1]s npm-local qua_0123456789abcdef01234567 --note \"reviewed by security\" -o json", decision),
		Args:    exactArgs("REPO", "ID"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkSegments([]string{"REPO", "ID"}, args); err != nil {
				return err
			}
			var body any
			if cmd.Flags().Changed("note") {
				body = map[string]string{"note": note}
			}
			s, err := o.session(cmd, false)
			if err != nil {
				return err
			}
			return s.printQuarantine(http.MethodPost, quarantinePath(args[0], args[1])+"/"+decision, body)
		},
	}
	if decision == "release" {
		cmd.Short = "Release a held version: it becomes visible at once"
		cmd.Long = `Release a held version (role promote): it becomes visible to readers at once and
is announced as published (version.published, quarantine.released). An item
already decided is refused with quarantine_already_decided.`
	} else {
		cmd.Short = "Reject a held version: it stays hidden for good"
		cmd.Long = `Reject a held version (role promote): it stays hidden, its reads answer 423 with
the rejected status (quarantine.rejected). An item already decided is refused
with quarantine_already_decided.`
	}
	cmd.Flags().StringVar(&note, "note", "", "`text` kept with the decision, e.g. who reviewed what")
	return cmd
}

// printQuarantine performs a request answering a quarantine item and
// prints it.
func (s *session) printQuarantine(method, path string, in any) error {
	var it quarantineItem
	raw, err := s.client.Call(s.ctx, method, path, nil, in, &it)
	if err != nil {
		return err
	}
	return s.print(raw, func(w io.Writer) error { return writeQuarantine(w, &it) })
}

func writeQuarantine(w io.Writer, it *quarantineItem) error {
	return writeFields(w, [][2]string{
		{"ID", it.ID},
		{"Repository", it.Repo},
		{"Package", it.Package},
		{"Version", it.Version},
		{"Version ID", it.VersionID},
		{"Status", it.Status},
		{"Reason", it.Reason},
		{"Policies", join(it.Policies)},
		{"Created", it.CreatedAt},
		{"Decided by", it.DecidedBy},
		{"Decided", it.DecidedAt},
		{"Note", it.Note},
	})
}
