package slackapi

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sync"

	"github.com/slack-go/slack"
)

// maxViewResponse bounds a views.* response: Slack rejects views larger
// than 250 KB, and echoes the view with its state.
const maxViewResponse = 4 << 20

// responseBuffers holds buffers for reading views.* responses, which carry
// the whole view back.
var responseBuffers = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// ViewRef is the id and hash of a view that Slack returned.
type ViewRef struct {
	ID   string `json:"id"`
	Hash string `json:"hash"`
}

// Views opens and updates modals. Slack returns the whole view from
// views.open and views.update; Views decodes only its id and hash,
// where slack-go decodes every block, which costs more than the rest of a
// slash command's handling.
type Views struct {
	client *http.Client
	token  string
	apiURL string
}

// NewViews returns a Views client for the Web API at apiURL (ending with a
// slash) that sends botToken through client, such as NewHTTPClient's.
func NewViews(botToken, apiURL string, client *http.Client) *Views {
	return &Views{client: client, token: botToken, apiURL: apiURL}
}

// Open opens view with triggerID.
func (v *Views) Open(ctx context.Context, triggerID string, view slack.ModalViewRequest) (ViewRef, error) {
	return v.call(ctx, "views.open", map[string]any{"trigger_id": triggerID, "view": view})
}

// Update replaces the view viewID. With a non-empty hash, Slack rejects
// the update with hash_conflict when the view changed since.
func (v *Views) Update(ctx context.Context, view slack.ModalViewRequest, hash, viewID string) (ViewRef, error) {
	body := map[string]any{"view_id": viewID, "view": view}
	if hash != "" {
		body["hash"] = hash
	}
	return v.call(ctx, "views.update", body)
}

// UpdateJSON is Update with the view given as its JSON encoding, for a
// caller that encodes a view once and sends it many times.
func (v *Views) UpdateJSON(ctx context.Context, view json.RawMessage, hash, viewID string) (ViewRef, error) {
	body := struct {
		ViewID string          `json:"view_id"`
		Hash   string          `json:"hash,omitempty"`
		View   json.RawMessage `json:"view"`
	}{viewID, hash, view}
	return v.call(ctx, "views.update", body)
}

// call posts body as JSON to method. Errors have slack-go's types:
// slack.SlackErrorResponse for ok:false and slack.StatusCodeError for an
// HTTP status other than 200.
func (v *Views) call(ctx context.Context, method string, body any) (ViewRef, error) {
	data, err := json.Marshal(body)
	if err != nil {
		return ViewRef{}, fmt.Errorf("%s: encode: %w", method, err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, v.apiURL+method, bytes.NewReader(data))
	if err != nil {
		return ViewRef{}, fmt.Errorf("%s: %w", method, err)
	}
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	req.Header.Set("Authorization", "Bearer "+v.token)
	resp, err := v.client.Do(req)
	if err != nil {
		return ViewRef{}, fmt.Errorf("%s: %w", method, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return ViewRef{}, slack.StatusCodeError{Code: resp.StatusCode, Status: resp.Status}
	}
	var out struct {
		OK               bool                   `json:"ok"`
		Error            string                 `json:"error"`
		View             ViewRef                `json:"view"`
		ResponseMetadata slack.ResponseMetadata `json:"response_metadata"`
	}
	buf := responseBuffers.Get().(*bytes.Buffer)
	defer responseBuffers.Put(buf)
	buf.Reset()
	if _, err := buf.ReadFrom(io.LimitReader(resp.Body, maxViewResponse)); err != nil {
		return ViewRef{}, fmt.Errorf("%s: read response: %w", method, err)
	}
	if err := json.Unmarshal(buf.Bytes(), &out); err != nil {
		return ViewRef{}, fmt.Errorf("%s: decode response: %w", method, err)
	}
	if !out.OK {
		return ViewRef{}, slack.SlackErrorResponse{Err: out.Error, ResponseMetadata: out.ResponseMetadata}
	}
	return out.View, nil
}
