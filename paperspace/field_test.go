package paperspace_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/paperspace-bot/paperspace-bot/paperspace"
	"github.com/paperspace-bot/paperspace-bot/paperspace/fakecoreapi"
)

// TestInvalidKeyEveryEndpoint sends a key that the Core API does not know
// to every endpoint the bot calls. The response, HTTP 400 with the flat body
// {"status":400,"message":"Invalid API token"}, must read as a rejected
// key: not as a bad request field, not as an unknown outcome, and without
// the key in the error text.
func TestInvalidKeyEveryEndpoint(t *testing.T) {
	fake := newFake(t, fakecoreapi.WithAPIKey("the-key-the-team-has"))
	client := newClient(t, fake)

	tests := []struct {
		name string
		path string
		call func(ctx context.Context) error
	}{
		{"ListTemplates", fakecoreapi.PathGetTemplates, func(ctx context.Context) error {
			_, err := client.ListTemplates(ctx, paperspace.TemplateFilter{})
			return err
		}},
		{"ListUsers", fakecoreapi.PathGetUsers, func(ctx context.Context) error {
			_, err := client.ListUsers(ctx, paperspace.UserFilter{Email: "ada@example.com"})
			return err
		}},
		{"ListNetworks", fakecoreapi.PathGetNetworks, func(ctx context.Context) error {
			_, err := client.ListNetworks(ctx, paperspace.NetworkFilter{})
			return err
		}},
		{"ListMachines", fakecoreapi.PathGetMachines, func(ctx context.Context) error {
			_, err := client.ListMachines(ctx, paperspace.MachineFilter{Name: "My Machine 1"})
			return err
		}},
		{"GetMachine", fakecoreapi.PathGetMachine, func(ctx context.Context) error {
			_, err := client.GetMachine(ctx, "ps123abc")
			return err
		}},
		{"GetAvailability", fakecoreapi.PathGetAvailability, func(ctx context.Context) error {
			_, err := client.GetAvailability(ctx, "East Coast (NY2)", "P4000")
			return err
		}},
		{"CreateMachine", fakecoreapi.PathCreateMachine, func(ctx context.Context) error {
			// Every field is set, so a field named in the message would
			// be found.
			r := validCreateRequest()
			r.AssignPublicIP = true
			r.NetworkID = "n123abc"
			r.TeamID = "te456def"
			r.NotificationEmail = "ops@example.com"
			_, err := client.CreateMachine(ctx, r)
			return err
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake.Reset()
			err := tt.call(context.Background())
			if err == nil {
				t.Fatal("error = nil, want the key rejected")
			}
			if !paperspace.IsInvalidAPIKey(err) {
				t.Errorf("IsInvalidAPIKey(%v) = false, want true", err)
			}
			var apiErr *paperspace.Error
			if !errors.As(err, &apiErr) {
				t.Fatalf("error %v (%T) is not a *paperspace.Error", err, err)
			}
			if apiErr.StatusCode != 400 || apiErr.Message != "Invalid API token" {
				t.Errorf("status, message = %d, %q; want 400, \"Invalid API token\"", apiErr.StatusCode, apiErr.Message)
			}
			if apiErr.Field != "" {
				t.Errorf("Field = %q, want none: the key is not a request field", apiErr.Field)
			}
			if paperspace.IsUnknownOutcome(err) {
				t.Errorf("IsUnknownOutcome(%v) = true, want false: a rejected key creates nothing", err)
			}
			if paperspace.IsNotFound(err) {
				t.Errorf("IsNotFound(%v) = true, want false", err)
			}
			if strings.Contains(err.Error(), fakecoreapi.DefaultAPIKey) || strings.Contains(err.Error(), "the-key-the-team-has") {
				t.Errorf("error %q contains an API key", err)
			}
			if n := len(fake.RequestsTo(tt.path)); n != 1 {
				t.Errorf("requests to %s = %d, want 1: a rejected key is not retried", tt.path, n)
			}
		})
	}
}
