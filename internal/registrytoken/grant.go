package registrytoken

import "slices"

// repositoryActions are the repository actions a token can carry, in the
// order "*" expands to.
var repositoryActions = []string{ActionPull, ActionPush, ActionDelete}

// Grant intersects what a client asked for with what the caller holds, as
// token.md requires: a partial grant is not an error. allowed reports whether
// the caller may perform a Distribution action (pull, push, delete) on a
// repository name; mapping actions to roles is the caller's business.
//
//   - A repository scope keeps the known actions allowed says yes to; "*"
//     stands for all three. Unknown actions and resource classes are ignored.
//   - "registry:catalog:*" is granted to every caller: GET /v2/_catalog
//     lists only the names the caller can read (ADR 0010 §1), so the scope
//     reveals nothing by itself.
//   - Any other scope, and a scope left with no action, is dropped.
//
// Scopes naming the same resource are merged into one entry. allowed is asked
// at most once per name and action. The result is never nil, so the access
// claim is "[]" rather than null when nothing is granted.
func Grant(requested []Scope, allowed func(repoName string, action string) bool) []Access {
	out := []Access{}
	type decision struct{ name, action string }
	decided := map[decision]bool{}
	add := func(typ, name, action string) {
		for i := range out {
			if out[i].Type == typ && out[i].Name == name {
				if !slices.Contains(out[i].Actions, action) {
					out[i].Actions = append(out[i].Actions, action)
				}
				return
			}
		}
		out = append(out, Access{Type: typ, Name: name, Actions: []string{action}})
	}
	for _, s := range requested {
		switch {
		case s.Type == TypeRepository:
			for _, a := range s.Actions {
				wanted := []string{a}
				if a == ActionAll {
					wanted = repositoryActions
				}
				for _, w := range wanted {
					if !slices.Contains(repositoryActions, w) {
						continue
					}
					d := decision{s.Name, w}
					ok, seen := decided[d]
					if !seen {
						ok = allowed(s.Name, w)
						decided[d] = ok
					}
					if ok {
						add(TypeRepository, s.Name, w)
					}
				}
			}
		case s.Type == TypeRegistry && s.Name == CatalogName && slices.Contains(s.Actions, ActionAll):
			add(TypeRegistry, CatalogName, ActionAll)
		}
	}
	return out
}
