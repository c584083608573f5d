package handlers

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/slack-go/slack"
)

// Authorizer decides whether a Slack user is a team admin, the only kind
// of user who may create machines and decide requests. A user is an admin
// when any configured source makes them one: the ADMIN_USER_IDS list, membership
// of an ADMIN_USERGROUP_IDS group, or, when workspace admins are included,
// being a workspace admin or owner who is neither deactivated nor a guest.
// Lookups are cached for at most CacheTTL. It fails closed: a source that
// cannot be read never makes anyone an admin.
type Authorizer struct {
	api             *slack.Client
	userIDs         []string
	groupIDs        []string
	workspaceAdmins bool
	ttl             time.Duration
	now             func() time.Time

	mu     sync.Mutex
	groups map[string]cachedGroup
	users  map[string]cachedUser
}

type cachedGroup struct {
	members []string
	at      time.Time
}

type cachedUser struct {
	admin bool
	at    time.Time
}

// CacheTTL is how long a user group's members or a user's role are cached.
const CacheTTL = time.Minute

// AuthorizerConfig configures an Authorizer.
type AuthorizerConfig struct {
	API                   *slack.Client
	UserIDs               []string
	UsergroupIDs          []string
	IncludeWorkspaceAdmin bool
	Now                   func() time.Time
}

// NewAuthorizer returns an Authorizer.
func NewAuthorizer(cfg AuthorizerConfig) *Authorizer {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Authorizer{
		api:             cfg.API,
		userIDs:         cfg.UserIDs,
		groupIDs:        cfg.UsergroupIDs,
		workspaceAdmins: cfg.IncludeWorkspaceAdmin,
		ttl:             CacheTTL,
		now:             cfg.Now,
		groups:          make(map[string]cachedGroup),
		users:           make(map[string]cachedUser),
	}
}

// Cached decides from the configured list and fresh cache entries alone,
// without calling Slack. known is false when a lookup is needed.
func (a *Authorizer) Cached(userID string) (admin, known bool) {
	if slices.Contains(a.userIDs, userID) {
		return true, true
	}
	now := a.now()
	a.mu.Lock()
	defer a.mu.Unlock()
	known = true
	for _, id := range a.groupIDs {
		g, ok := a.groups[id]
		if !ok || now.Sub(g.at) >= a.ttl {
			known = false
			continue
		}
		if slices.Contains(g.members, userID) {
			return true, true
		}
	}
	if a.workspaceAdmins {
		u, ok := a.users[userID]
		if !ok || now.Sub(u.at) >= a.ttl {
			known = false
		} else if u.admin {
			return true, true
		}
	}
	return false, known
}

// IsAdmin decides whether userID is an admin, calling Slack for sources
// whose cache is stale. When no source makes the user an admin and a
// lookup failed, it returns false and the error.
func (a *Authorizer) IsAdmin(ctx context.Context, userID string) (bool, error) {
	if admin, known := a.Cached(userID); known {
		return admin, nil
	}
	var errs []error
	for _, id := range a.groupIDs {
		members, err := a.groupMembers(ctx, id)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if slices.Contains(members, userID) {
			return true, nil
		}
	}
	if a.workspaceAdmins {
		admin, err := a.workspaceAdmin(ctx, userID)
		if err != nil {
			errs = append(errs, err)
		} else if admin {
			return true, nil
		}
	}
	return false, errors.Join(errs...)
}

func (a *Authorizer) groupMembers(ctx context.Context, groupID string) ([]string, error) {
	now := a.now()
	a.mu.Lock()
	g, ok := a.groups[groupID]
	a.mu.Unlock()
	if ok && now.Sub(g.at) < a.ttl {
		return g.members, nil
	}
	members, err := a.api.GetUserGroupMembersContext(ctx, groupID)
	if err != nil {
		return nil, fmt.Errorf("list members of user group %s: %w", groupID, err)
	}
	a.mu.Lock()
	a.groups[groupID] = cachedGroup{members: members, at: now}
	a.mu.Unlock()
	return members, nil
}

func (a *Authorizer) workspaceAdmin(ctx context.Context, userID string) (bool, error) {
	now := a.now()
	a.mu.Lock()
	u, ok := a.users[userID]
	a.mu.Unlock()
	if ok && now.Sub(u.at) < a.ttl {
		return u.admin, nil
	}
	info, err := a.api.GetUserInfoContext(ctx, userID)
	if err != nil {
		return false, fmt.Errorf("look up user %s: %w", userID, err)
	}
	admin := isWorkspaceAdmin(info)
	a.mu.Lock()
	a.users[userID] = cachedUser{admin: admin, at: now}
	if len(a.users) > 10_000 {
		for id, entry := range a.users {
			if now.Sub(entry.at) >= a.ttl {
				delete(a.users, id)
			}
		}
	}
	a.mu.Unlock()
	return admin, nil
}

// isWorkspaceAdmin reports whether u is a workspace (or Enterprise Grid)
// admin or owner. Deactivated users, guests and bots never are.
func isWorkspaceAdmin(u *slack.User) bool {
	if u == nil || u.Deleted || u.IsRestricted || u.IsUltraRestricted || u.IsBot {
		return false
	}
	return u.IsAdmin || u.IsOwner || u.IsPrimaryOwner ||
		u.Enterprise.IsAdmin || u.Enterprise.IsOwner || u.Enterprise.IsPrimaryOwner
}

// Contacts describes, in mrkdwn, whom a member can ask: the listed admins,
// the admin user groups, and workspace admins.
func (a *Authorizer) Contacts() string {
	var parts []string
	for i, id := range a.userIDs {
		if i == 5 {
			parts = append(parts, fmt.Sprintf("%d more", len(a.userIDs)-5))
			break
		}
		parts = append(parts, "<@"+id+">")
	}
	for _, id := range a.groupIDs {
		parts = append(parts, "<!subteam^"+id+">")
	}
	if a.workspaceAdmins {
		parts = append(parts, "a workspace admin")
	}
	switch len(parts) {
	case 0:
		return "a team admin"
	case 1:
		return parts[0]
	}
	return strings.Join(parts[:len(parts)-1], ", ") + " or " + parts[len(parts)-1]
}
