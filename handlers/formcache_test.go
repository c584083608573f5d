package handlers

import (
	"encoding/json"
	"testing"

	"github.com/paperspace-bot/paperspace-bot/blocks"
	"github.com/paperspace-bot/paperspace-bot/paperspace"
)

func TestFormCacheMatchesBuiltForm(t *testing.T) {
	networks := []paperspace.Network{{ID: "n1", Name: "lab", Region: "East Coast (NY2)", Network: "10.0.0.0", Netmask: "255.255.255.0"}}
	metadata := viewMetadata{ChannelID: "C1", ResponseURL: `https://hooks.example/"quoted"&<x>`}.encode()
	var cache formCache
	for _, mode := range []blocks.FormMode{blocks.FormCreate, blocks.FormRequest} {
		for _, nets := range [][]paperspace.Network{nil, networks} {
			got, err := cache.encode(mode, nets, metadata)
			if err != nil {
				t.Fatalf("encode: %v", err)
			}
			want, err := json.Marshal(blocks.FormModal(blocks.Form{Mode: mode, PrivateMetadata: metadata, Networks: nets}))
			if err != nil {
				t.Fatalf("marshal: %v", err)
			}
			if string(got) != string(want) {
				t.Errorf("mode %d, %d networks: cached form differs from the built one\ngot  %s\nwant %s", mode, len(nets), got, want)
			}
		}
	}
}
