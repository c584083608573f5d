package paperspace_test

import (
	"context"
	"net/url"
	"reflect"
	"testing"
	"time"

	"github.com/paperspace-bot/paperspace-bot/paperspace"
	"github.com/paperspace-bot/paperspace-bot/paperspace/fakecoreapi"
)

func TestListNetworksDecodesSeed(t *testing.T) {
	fake := newFake(t)
	client := newClient(t, fake)

	got, err := client.ListNetworks(context.Background(), paperspace.NetworkFilter{})
	if err != nil {
		t.Fatalf("ListNetworks error: %v", err)
	}
	want := []paperspace.Network{{
		ID: "n123abc", Name: "Example Network", Region: "East Coast (NY2)",
		DtCreated: time.Date(2016, 12, 22, 16, 36, 42, 613e6, time.UTC),
		Network:   "10.64.21.0", Netmask: "255.255.255.0", TeamID: "te456def",
	}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("networks =\n%+v\nwant\n%+v", got, want)
	}
}

func TestListNetworksSendsFilter(t *testing.T) {
	tests := []struct {
		name   string
		filter paperspace.NetworkFilter
		want   url.Values
		wantN  int
	}{
		{"none", paperspace.NetworkFilter{}, url.Values{}, 1},
		{"region", paperspace.NetworkFilter{Region: "East Coast (NY2)"}, url.Values{"region": {"East Coast (NY2)"}}, 1},
		{"other region", paperspace.NetworkFilter{Region: "Europe (AMS1)"}, url.Values{"region": {"Europe (AMS1)"}}, 0},
		{
			"every field",
			paperspace.NetworkFilter{ID: "n123abc", Name: "Example Network", Region: "East Coast (NY2)", TeamID: "te456def"},
			url.Values{"id": {"n123abc"}, "name": {"Example Network"}, "region": {"East Coast (NY2)"}, "teamId": {"te456def"}},
			1,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := newFake(t)
			client := newClient(t, fake)

			networks, err := client.ListNetworks(context.Background(), tt.filter)
			if err != nil {
				t.Fatalf("ListNetworks error: %v", err)
			}
			if len(networks) != tt.wantN {
				t.Errorf("got %d networks, want %d", len(networks), tt.wantN)
			}
			if got := fake.RequestsTo(fakecoreapi.PathGetNetworks)[0].Query; !reflect.DeepEqual(got, tt.want) {
				t.Errorf("query = %v, want %v", got, tt.want)
			}
		})
	}
}
