package fakeslack

import (
	"slices"
	"sort"
	"strings"

	"github.com/slack-go/slack"
)

// AddUser adds or replaces a workspace user, which users.info and
// users.lookupByEmail (by Profile.Email) then return. The bot's own user is
// there from the start.
func (s *Server) AddUser(u slack.User) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if old, ok := s.web.users[u.ID]; ok && old.Profile.Email != "" {
		delete(s.web.emails, strings.ToLower(old.Profile.Email))
	}
	if u.TeamID == "" {
		u.TeamID = s.cfg.teamID
	}
	s.web.users[u.ID] = u
	if u.Profile.Email != "" {
		s.web.emails[strings.ToLower(u.Profile.Email)] = u.ID
	}
}

// AddUserGroup adds or replaces a user group and its members, which
// usergroups.users.list returns.
func (s *Server) AddUserGroup(id string, members ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.web.groups[id] = slices.Clone(members)
}

func (s *Server) authTest(*apiRequest) (map[string]any, error) {
	return map[string]any{
		"url":                   "https://" + s.cfg.teamDomain + ".slack.com/",
		"team":                  s.cfg.teamDomain,
		"user":                  s.cfg.botUserName,
		"team_id":               s.cfg.teamID,
		"user_id":               s.cfg.botUserID,
		"bot_id":                s.cfg.botID,
		"is_enterprise_install": false,
	}, nil
}

func (s *Server) usersInfo(r *apiRequest) (map[string]any, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u, ok := s.web.users[r.str("user")]
	if !ok {
		return nil, errorCode("user_not_found")
	}
	return map[string]any{"user": u}, nil
}

func (s *Server) usersLookupByEmail(r *apiRequest) (map[string]any, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	id, ok := s.web.emails[strings.ToLower(r.str("email"))]
	if !ok {
		return nil, errorCode("users_not_found")
	}
	return map[string]any{"user": s.web.users[id]}, nil
}

func (s *Server) usergroupsUsersList(r *apiRequest) (map[string]any, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	members, ok := s.web.groups[r.str("usergroup")]
	if !ok {
		return nil, errorCode("no_such_subteam")
	}
	return map[string]any{"users": slices.Clone(members)}, nil
}

// conversationsOpen opens the bot's DM with one user, or a group DM with
// several. Users need not have been added with AddUser.
func (s *Server) conversationsOpen(r *apiRequest) (map[string]any, error) {
	if channel := r.str("channel"); channel != "" {
		return map[string]any{"channel": map[string]any{"id": channel}, "no_op": true, "already_open": true}, nil
	}
	var users []string
	for _, u := range strings.Split(r.str("users"), ",") {
		if u = strings.TrimSpace(u); u != "" {
			users = append(users, u)
		}
	}
	if len(users) == 0 {
		return nil, errorCode("users_list_not_supplied")
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	var id string
	var existed bool
	if len(users) == 1 {
		_, existed = s.web.dms[users[0]]
		id = s.dmChannelLocked(users[0])
	} else {
		sort.Strings(users)
		key := strings.Join(users, ",")
		id, existed = s.web.groupDMs[key]
		if !existed {
			id = s.newConversationIDLocked("G")
			s.web.groupDMs[key] = id
		}
	}
	out := map[string]any{"channel": map[string]any{"id": id}}
	if existed {
		out["no_op"] = true
		out["already_open"] = true
	}
	return out, nil
}
