package native

import (
	"context"

	"github.com/artifortress/artifortress/internal/auth"
	"github.com/artifortress/artifortress/internal/fault"
	"github.com/artifortress/artifortress/internal/repo"
)

// Repos is what virtual repositories need of the repository service.
type Repos interface {
	Access(ctx context.Context, caller *auth.Principal, key string, role auth.Role) (repo.Repo, error)
}

// Members returns a request per member of virtual repository req.Repo that
// the caller can read and that holds the same format, in order, keeping the
// virtual repository's base URL (links in merged metadata point at it). A
// member the caller cannot read is skipped; any other failure to load a
// member is returned.
func Members(repos Repos, req *Request) ([]*Request, error) {
	var out []*Request
	for _, key := range req.Repo.Members {
		r, err := repos.Access(req.Context(), req.Caller, key, auth.RoleRead)
		if fe := fault.As(err); err != nil && (fe == nil || fe.Kind.HTTPStatus() >= 500) {
			// Not "cannot read": a member that may hold a held file is
			// never skipped for a later member to serve it.
			return nil, err
		}
		if err != nil || r.Format != req.Repo.Format {
			continue
		}
		m := *req
		m.Repo = r
		out = append(out, &m)
	}
	return out, nil
}

// Skippable reports whether a member's error means "not here": the next
// member is asked (not found, or a remote member whose upstream is down
// with nothing cached). Any other error — a 423 for quarantined content
// above all — is the answer: content the lane keeps out is never served
// from another member instead.
func Skippable(err error) bool {
	fe := fault.As(err)
	return fe != nil && (fe.Kind == fault.KindNotFound || fe.Kind == fault.KindBadGateway)
}

// DeployTarget returns req aimed at the member a virtual repository deploys
// writes to (settings.deployTo), which the caller can read; the write
// itself checks the caller's write role there. Without deployTo, writes
// are 405 repository_not_local.
func DeployTarget(repos Repos, req *Request) (*Request, error) {
	if req.Repo.Settings.DeployTo == "" {
		return nil, fault.Coded(fault.KindMethodNotAllowed, "repository_not_local",
			"repository %q is virtual (%v) and deploys to no member; write to a local member, or set settings.deployTo", req.Repo.Key, req.Repo.Members)
	}
	target, err := repos.Access(req.Context(), req.Caller, req.Repo.Settings.DeployTo, auth.RoleRead)
	if err != nil {
		return nil, err
	}
	local := *req
	local.Repo = target
	return &local, nil
}

// WriteTarget returns where a write to req.Repo lands, checked before a
// byte of the body is read: the repository itself when it is local, a
// virtual repository's deployTo member (see DeployTarget); a remote
// repository takes no writes (405 repository_not_local). An anonymous
// caller gets 401 with how, a hint naming the client's way to send a
// token; a caller without the write role where the write lands, 403.
func WriteTarget(repos Repos, req *Request, how string) (*Request, error) {
	if req.Caller == nil {
		return nil, fault.Unauthorized("writing to %q needs a token: %s", req.Repo.Key, how)
	}
	target := req
	switch req.Repo.Type {
	case repo.TypeRemote:
		return nil, fault.Coded(fault.KindMethodNotAllowed, "repository_not_local", "repository %q is a cache of %s; write to a local repository", req.Repo.Key, req.Repo.UpstreamURL)
	case repo.TypeVirtual:
		var err error
		if target, err = DeployTarget(repos, req); err != nil {
			return nil, err
		}
	}
	if !target.Caller.Can(target.Repo.Key, auth.RoleWrite) {
		return nil, fault.Forbidden("this needs the write role on repository %q", target.Repo.Key)
	}
	return target, nil
}
