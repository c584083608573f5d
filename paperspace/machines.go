package paperspace

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strconv"
)

const (
	endpointCreateMachine   = "/machines/createSingleMachinePublic"
	endpointGetMachine      = "/machines/getMachinePublic"
	endpointGetMachines     = "/machines/getMachines"
	endpointGetAvailability = "/machines/getAvailability"
)

// CreateMachine creates a machine (POST /machines/createSingleMachinePublic)
// and returns it as the Core API reports it, usually in state
// "provisioning" with most fields empty. Any 2xx status is success.
//
// The request is sent once and never retried. When the error satisfies
// IsUnknownOutcome, the machine, and a user from r's new-user fields, may
// exist all the same. Even on a 4xx error the Core API may have created the
// new user before it failed, so a caller that sent new-user fields checks
// ListUsers by email after any error.
func (c *Client) CreateMachine(ctx context.Context, r CreateMachineRequest) (*Machine, error) {
	var machine Machine
	if err := c.postJSON(ctx, endpointCreateMachine, r, &machine); err != nil {
		return nil, fmt.Errorf("create machine %q: %w", r.MachineName, err)
	}
	if machine.ID == "" {
		return nil, fmt.Errorf("create machine %q: %w: machine has no id", r.MachineName, ErrInvalidResponse)
	}
	return &machine, nil
}

// GetMachine returns one machine with its latest events
// (GET /machines/getMachinePublic). An unknown id gives an error for which
// IsNotFound is true.
func (c *Client) GetMachine(ctx context.Context, machineID string) (*Machine, error) {
	if machineID == "" {
		return nil, errors.New("get machine: machine id is empty")
	}
	query := url.Values{"machineId": {machineID}}

	var machine Machine
	if err := c.getJSON(ctx, endpointGetMachine, query, &machine, false); err != nil {
		return nil, fmt.Errorf("get machine %s: %w", machineID, err)
	}
	if machine.ID == "" {
		return nil, fmt.Errorf("get machine %s: %w: machine has no id", machineID, ErrInvalidResponse)
	}
	return &machine, nil
}

// ListMachines returns the machines that match every non-empty field of f
// (GET /machines/getMachines), without events. It returns one page of at
// most f.Limit machines (the Core API's default is 1000) after skipping
// f.Skip, and an empty list when none match.
func (c *Client) ListMachines(ctx context.Context, f MachineFilter) ([]Machine, error) {
	query := url.Values{}
	addQuery(query, "machineId", f.MachineID)
	addQuery(query, "name", f.Name)
	addQuery(query, "state", f.State)
	addQuery(query, "region", f.Region)
	addQuery(query, "userId", f.UserID)
	addQuery(query, "teamId", f.TeamID)
	if f.Limit > 0 {
		query.Set("limit", strconv.Itoa(f.Limit))
	}
	if f.Skip > 0 {
		query.Set("skip", strconv.Itoa(f.Skip))
	}

	machines := []Machine{}
	if err := c.getJSON(ctx, endpointGetMachines, query, &machines, true); err != nil {
		return nil, fmt.Errorf("list machines: %w", err)
	}
	return machines, nil
}

// GetAvailability reports whether machineType can be created in region now
// (GET /machines/getAvailability). The Core API documents it only for the
// types in AvailabilityMachineTypes.
func (c *Client) GetAvailability(ctx context.Context, region, machineType string) (bool, error) {
	if region == "" || machineType == "" {
		return false, fmt.Errorf("get availability: region %q and machine type %q must both be set", region, machineType)
	}
	query := url.Values{"region": {region}, "machineType": {machineType}}

	var result struct {
		Available *bool `json:"available"`
	}
	if err := c.getJSON(ctx, endpointGetAvailability, query, &result, false); err != nil {
		return false, fmt.Errorf("get availability of %s in %s: %w", machineType, region, err)
	}
	if result.Available == nil {
		return false, fmt.Errorf("get availability of %s in %s: %w: no \"available\" field",
			machineType, region, ErrInvalidResponse)
	}
	return *result.Available, nil
}
