package handlers

import (
	"bytes"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"sync"

	"github.com/paperspace-bot/paperspace-bot/blocks"
	"github.com/paperspace-bot/paperspace-bot/paperspace"
)

// metadataPlaceholder stands for private_metadata in a cached form, which
// is the only part of an empty form that differs between two commands.
const metadataPlaceholder = "PAPERSPACE-BOT-PRIVATE-METADATA"

// formCache keeps the JSON of the empty create and request forms, so that
// a slash command does not build and encode the whole form again: it only
// puts its private_metadata in. The cache follows the networks list, the
// only data in an empty form.
type formCache struct {
	mu    sync.Mutex
	forms map[blocks.FormMode]cachedForm
}

type cachedForm struct {
	// networks identifies the networks list the form was built with.
	networks string
	// before and after surround the encoded private_metadata string.
	before, after []byte
}

// encode returns the JSON of the empty form for mode with metadata as its
// private_metadata.
func (c *formCache) encode(mode blocks.FormMode, networks []paperspace.Network, metadata string) (json.RawMessage, error) {
	key := networksKey(networks)
	c.mu.Lock()
	form, ok := c.forms[mode]
	c.mu.Unlock()
	if !ok || form.networks != key {
		built, err := buildCachedForm(mode, networks, key)
		if err != nil {
			return nil, err
		}
		form = built
		c.mu.Lock()
		if c.forms == nil {
			c.forms = make(map[blocks.FormMode]cachedForm)
		}
		c.forms[mode] = form
		c.mu.Unlock()
	}
	quoted, err := json.Marshal(metadata)
	if err != nil {
		return nil, err
	}
	out := make([]byte, 0, len(form.before)+len(quoted)+len(form.after))
	out = append(out, form.before...)
	out = append(out, quoted...)
	return append(out, form.after...), nil
}

// buildCachedForm encodes the empty form with the placeholder and splits
// it around the placeholder's JSON string.
func buildCachedForm(mode blocks.FormMode, networks []paperspace.Network, key string) (cachedForm, error) {
	view := blocks.FormModal(blocks.Form{Mode: mode, PrivateMetadata: metadataPlaceholder, Networks: networks})
	data, err := json.Marshal(view)
	if err != nil {
		return cachedForm{}, err
	}
	marker := []byte(strconv.Quote(metadataPlaceholder))
	before, after, found := bytes.Cut(data, marker)
	if !found {
		return cachedForm{}, errPlaceholderMissing
	}
	return cachedForm{networks: key, before: before, after: after}, nil
}

var errPlaceholderMissing = errors.New("form cache: private_metadata placeholder not found in the encoded form")

// networksKey identifies a networks list by what the form shows of it.
func networksKey(networks []paperspace.Network) string {
	var b strings.Builder
	for _, n := range networks {
		b.WriteString(n.ID)
		b.WriteByte(0)
		b.WriteString(n.Name)
		b.WriteByte(0)
		b.WriteString(n.Region)
		b.WriteByte(0)
		b.WriteString(n.Network)
		b.WriteByte(0)
		b.WriteString(n.Netmask)
		b.WriteByte(1)
	}
	return b.String()
}
