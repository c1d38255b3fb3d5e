package admincli

import (
	"fmt"
	"io"
	"net/http"

	"github.com/spf13/cobra"
)

// packageTag is the API's tag resource; set adds Previous, the version the
// tag pointed at before ("" when it is new).
type packageTag struct {
	Tag       string `json:"tag"`
	Version   string `json:"version"`
	VersionID string `json:"versionId"`
	UpdatedBy string `json:"updatedBy"`
	UpdatedAt string `json:"updatedAt"`
	Previous  string `json:"previous,omitempty"`
}

func newTagsCommand(o *options) *cobra.Command {
	cmd := &cobra.Command{
		Use:     "tags",
		Aliases: []string{"tag"},
		Short:   "Name published versions of a package with tags (latest, stable, ...)",
		Long: `A tag names one published version of a package ("latest", "stable", "next") and
can be moved to another. Tags: 1-128 characters of [A-Za-z0-9._-], not starting
with . or -. Reading needs role read; setting and deleting role write.`,
		Example: `  artifortress admin tags list npm-local @acme/ui
  artifortress admin tags set npm-local @acme/ui latest 1.4.2
  artifortress admin tags delete npm-local @acme/ui next`,
		Args: cobra.NoArgs,
		RunE: showHelp,
	}
	cmd.AddCommand(newTagsListCommand(o), newTagsGetCommand(o), newTagsSetCommand(o), newTagsDeleteCommand(o))
	return cmd
}

func newTagsListCommand(o *options) *cobra.Command {
	return &cobra.Command{
		Use:   "list REPO NAME",
		Short: "List the tags of a package",
		Example: `  artifortress admin tags list generic-local tool
  artifortress admin tags list npm-local @acme/ui -o json`,
		Args: exactArgs("REPO", "NAME"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkSegments([]string{"REPO", "NAME"}, args); err != nil {
				return err
			}
			s, err := o.session(cmd, false)
			if err != nil {
				return err
			}
			var res struct {
				Items []packageTag `json:"items"`
			}
			raw, err := s.client.Call(s.ctx, http.MethodGet, packagePath(args[0], args[1])+"/tags", nil, nil, &res)
			if err != nil {
				return err
			}
			return s.print(raw, func(w io.Writer) error {
				t := newTable(w, "TAG", "VERSION", "UPDATED", "UPDATED BY", "VERSION ID")
				for _, tg := range res.Items {
					t.row(tg.Tag, tg.Version, tg.UpdatedAt, tg.UpdatedBy, tg.VersionID)
				}
				return t.flush()
			})
		},
	}
}

func newTagsGetCommand(o *options) *cobra.Command {
	return &cobra.Command{
		Use:   "get REPO NAME TAG",
		Short: "Show the version a tag names",
		Example: `  artifortress admin tags get generic-local tool latest
  artifortress admin tags get npm-local @acme/ui latest -o json | jq -r .version`,
		Args: exactArgs("REPO", "NAME", "TAG"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkSegments([]string{"REPO", "NAME", "TAG"}, args); err != nil {
				return err
			}
			s, err := o.session(cmd, false)
			if err != nil {
				return err
			}
			return s.printTag(http.MethodGet, packagePath(args[0], args[1])+Pathf("/tags/%s", args[2]), nil)
		},
	}
}

func newTagsSetCommand(o *options) *cobra.Command {
	return &cobra.Command{
		Use:   "set REPO NAME TAG VERSION",
		Short: "Point a tag at a published version, creating or moving it",
		Long: `Point TAG at VERSION, a published version of the package (role write): the tag is
created, or moved from the version it named, shown as Previous. A version that is
not published is refused with version_not_published.`,
		Example: `  artifortress admin tags set generic-local tool latest 1.2.0
  artifortress admin tags set npm-local @acme/ui next 2.0.0-beta.1 -o json`,
		Args: exactArgs("REPO", "NAME", "TAG", "VERSION"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkSegments([]string{"REPO", "NAME", "TAG"}, args); err != nil {
				return err
			}
			s, err := o.session(cmd, false)
			if err != nil {
				return err
			}
			return s.printTag(http.MethodPut, packagePath(args[0], args[1])+Pathf("/tags/%s", args[2]),
				map[string]string{"version": args[3]})
		},
	}
}

func newTagsDeleteCommand(o *options) *cobra.Command {
	return &cobra.Command{
		Use:     "delete REPO NAME TAG",
		Short:   "Remove a tag (the version it named stays)",
		Example: `  artifortress admin tags delete generic-local tool beta`,
		Args:    exactArgs("REPO", "NAME", "TAG"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkSegments([]string{"REPO", "NAME", "TAG"}, args); err != nil {
				return err
			}
			s, err := o.session(cmd, false)
			if err != nil {
				return err
			}
			if _, err := s.client.Call(s.ctx, http.MethodDelete, packagePath(args[0], args[1])+Pathf("/tags/%s", args[2]), nil, nil, nil); err != nil {
				return err
			}
			return s.done(fmt.Sprintf("Deleted tag %s of %s.", sanitize(args[2]), sanitize(args[1])))
		},
	}
}

// printTag performs a request answering a tag and prints it.
func (s *session) printTag(method, path string, in any) error {
	var t packageTag
	raw, err := s.client.Call(s.ctx, method, path, nil, in, &t)
	if err != nil {
		return err
	}
	return s.print(raw, func(w io.Writer) error {
		fields := [][2]string{
			{"Tag", t.Tag},
			{"Version", t.Version},
			{"Version ID", t.VersionID},
			{"Updated", t.UpdatedAt},
			{"Updated by", t.UpdatedBy},
		}
		if method == http.MethodPut {
			fields = append(fields, [2]string{"Previous", t.Previous})
		}
		return writeFields(w, fields)
	})
}
