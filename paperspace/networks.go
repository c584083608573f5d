package paperspace

import (
	"context"
	"fmt"
	"net/url"
)

const endpointGetNetworks = "/networks/getNetworks"

// ListNetworks returns the private networks that match every non-empty
// field of f (GET /networks/getNetworks). It returns an empty list when
// none match.
func (c *Client) ListNetworks(ctx context.Context, f NetworkFilter) ([]Network, error) {
	query := url.Values{}
	addQuery(query, "id", f.ID)
	addQuery(query, "name", f.Name)
	addQuery(query, "region", f.Region)
	addQuery(query, "teamId", f.TeamID)

	networks := []Network{}
	if err := c.getJSON(ctx, endpointGetNetworks, query, &networks, true); err != nil {
		return nil, fmt.Errorf("list networks: %w", err)
	}
	return networks, nil
}
