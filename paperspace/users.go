package paperspace

import (
	"context"
	"fmt"
	"net/url"
)

const endpointGetUsers = "/users/getUsers"

// ListUsers returns the team's users that match every non-empty field of f
// (GET /users/getUsers). It returns an empty list when none match. After a
// failed create with new-user fields, ListUsers with f.Email set shows
// whether the Core API created the user.
func (c *Client) ListUsers(ctx context.Context, f UserFilter) ([]User, error) {
	query := url.Values{}
	addQuery(query, "id", f.ID)
	addQuery(query, "email", f.Email)
	addQuery(query, "firstname", f.Firstname)
	addQuery(query, "lastname", f.Lastname)
	addQuery(query, "teamId", f.TeamID)

	users := []User{}
	if err := c.getJSON(ctx, endpointGetUsers, query, &users, true); err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	return users, nil
}
