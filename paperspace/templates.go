package paperspace

import (
	"context"
	"fmt"
	"net/url"
)

const endpointGetTemplates = "/templates/getTemplates"

// ListTemplates returns the public templates and the team's own templates
// that match every non-empty field of f (GET /templates/getTemplates). It
// returns an empty list when none match.
func (c *Client) ListTemplates(ctx context.Context, f TemplateFilter) ([]Template, error) {
	query := url.Values{}
	addQuery(query, "id", f.ID)
	addQuery(query, "name", f.Name)
	addQuery(query, "label", f.Label)
	addQuery(query, "os", f.OS)
	addQuery(query, "teamId", f.TeamID)
	addQuery(query, "userId", f.UserID)
	addQuery(query, "region", f.Region)

	templates := []Template{}
	if err := c.getJSON(ctx, endpointGetTemplates, query, &templates, true); err != nil {
		return nil, fmt.Errorf("list templates: %w", err)
	}
	return templates, nil
}

// addQuery sets key to value unless value is empty.
func addQuery(query url.Values, key, value string) {
	if value != "" {
		query.Set(key, value)
	}
}
