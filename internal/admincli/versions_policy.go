package admincli

import (
	"fmt"
	"io"
	"net/http"
	"sort"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
)

// labelFlags is --label KEY=VALUE, repeatable: the labels of a draft.
type labelFlags struct{ specs []string }

func (f *labelFlags) register(cmd *cobra.Command) {
	cmd.Flags().StringArrayVar(&f.specs, "label", nil, "label of the version as `KEY=VALUE`, repeatable; policies read them as version.labels (replaces the labels of an existing draft)")
}

// labels returns the labels given, nil when none was (the draft's labels
// are then left as they are).
func (f *labelFlags) labels() (map[string]string, error) {
	if len(f.specs) == 0 {
		return nil, nil
	}
	out := make(map[string]string, len(f.specs))
	for _, spec := range f.specs {
		k, v, ok := strings.Cut(spec, "=")
		if !ok || k == "" {
			return nil, usageErrorf("invalid --label %q: want KEY=VALUE", spec)
		}
		if _, dup := out[k]; dup {
			return nil, usageErrorf("--label %s is given twice", k)
		}
		out[k] = v
	}
	return out, nil
}

// formatLabels shows labels as "k=v,k2=v2" in key order.
func formatLabels(labels map[string]string) string {
	keys := make([]string, 0, len(labels))
	for k := range labels {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + "=" + labels[k]
	}
	return strings.Join(parts, ",")
}

// noteQuarantine tells on standard error that a publish or a promotion
// landed in the quarantine lane, and where to review it.
func (s *session) noteQuarantine(v *packageVersion) {
	if v.QuarantineID == "" {
		return
	}
	fmt.Fprintf(s.errOut, "Held in the quarantine lane of %s as %s: %s\nReview it with: artifortress admin quarantine get %s %s\n",
		sanitize(v.Repo), sanitize(v.QuarantineID), sanitize(v.QuarantineReason), sanitize(v.Repo), sanitize(v.QuarantineID))
}

func newVersionsEvaluationsCommand(o *options) *cobra.Command {
	return &cobra.Command{
		Use:   "evaluations REPO VERSION_ID",
		Short: "Show what the policies decided about a version",
		Long: `Show a version's policy evaluation log, oldest first: for each publish or promotion
attempt, the decision of every policy checked (allow, deny or quarantine), whether
its expression passed, the message or the evaluation error, and who published.
Dry runs are not logged. Needs role write on the repository.`,
		Example: `  artifortress admin versions evaluations npm-local ver_0123456789abcdef01234567
  artifortress admin versions evaluations npm-local ver_0123456789abcdef01234567 -o json`,
		Args: exactArgs("REPO", "VERSION_ID"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkVersionID(args[1]); err != nil {
				return err
			}
			s, err := o.session(cmd, false)
			if err != nil {
				return err
			}
			var res struct {
				Items []policyEvaluation `json:"items"`
			}
			raw, err := s.client.Call(s.ctx, http.MethodGet, versionIDPath(args[0], args[1])+"/evaluations", nil, nil, &res)
			if err != nil {
				return err
			}
			return s.print(raw, func(w io.Writer) error {
				t := newTable(w, "POLICY", "STAGE", "DECISION", "PASSED", "ACTOR", "AT", "MESSAGE")
				for i := range res.Items {
					ev := &res.Items[i]
					t.row(ev.Policy, ev.Stage, ev.Decision, strconv.FormatBool(ev.Passed), ev.Actor, ev.At, clip(evaluationNote(ev), maxMessageCell))
				}
				return t.flush()
			})
		},
	}
}

func newVersionsPromoteCommand(o *options) *cobra.Command {
	var target string
	cmd := &cobra.Command{
		Use:   "promote REPO VERSION_ID --to TARGET",
		Short: "Copy a published version into another local repository",
		Long: `Promote a published version of REPO into TARGET, another local repository of the
same format (role read on REPO, promote on TARGET): the copy is published there
with the same manifest, labels and files (the blobs are shared, not copied).

The copy goes through TARGET's policies (stage "promote"): a deny refuses it (403
policy_denied), a quarantine publishes it into TARGET's quarantine lane (a note on
standard error gives the item to review). A version already in TARGET is refused
with version_exists; a version held in REPO's lane cannot be promoted.`,
		Example: `  artifortress admin versions promote npm-staging ver_0123456789abcdef01234567 --to npm-release
  artifortress admin versions promote npm-staging ver_0123456789abcdef01234567 --to npm-release -o json | jq -r .versionId`,
		Args: exactArgs("REPO", "VERSION_ID"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkVersionID(args[1]); err != nil {
				return err
			}
			if target == "" {
				return usageErrorf("--to is required: the repository to promote the version into")
			}
			if target == args[0] {
				return usageErrorf("--to %q is the version's own repository", target)
			}
			s, err := o.session(cmd, false)
			if err != nil {
				return err
			}
			var v packageVersion
			raw, err := s.client.Call(s.ctx, http.MethodPost, versionIDPath(args[0], args[1])+"/promote", nil, map[string]string{"targetRepo": target}, &v)
			if err != nil {
				return err
			}
			s.noteQuarantine(&v)
			return s.print(raw, func(w io.Writer) error { return writeVersion(w, &v) })
		},
	}
	cmd.Flags().StringVar(&target, "to", "", "`key` of the local repository to promote into (required)")
	return cmd
}
