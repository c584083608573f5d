package bot

import (
	"strings"
	"testing"
)

func TestDecodeEnvelopeOddFields(t *testing.T) {
	tests := []struct {
		name      string
		frame     string
		wantID    string
		wantRetry int
		wantErr   bool
	}{
		{"valid", `{"type":"slash_commands","envelope_id":"e1","payload":{},"retry_attempt":2}`, "e1", 2, false},
		{"retry as string", `{"type":"interactive","envelope_id":"e2","payload":{},"retry_attempt":"1"}`, "e2", 1, false},
		{"flag as string", `{"type":"interactive","envelope_id":"e3","payload":{},"accepts_response_payload":"true"}`, "e3", 0, false},
		{"debug info as string", `{"type":"events_api","envelope_id":"e4","payload":{},"debug_info":"x"}`, "e4", 0, false},
		{"huge retry number", `{"type":"interactive","envelope_id":"e5","payload":{},"retry_attempt":1e400}`, "e5", 0, false},
		{"not json", `{"type":`, "", 0, true},
		{"array", `[1,2]`, "", 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env, err := decodeEnvelope([]byte(tt.frame))
			if (err != nil) != tt.wantErr {
				t.Fatalf("decodeEnvelope error = %v, want error %v", err, tt.wantErr)
			}
			if err != nil {
				return
			}
			if env.EnvelopeID != tt.wantID {
				t.Errorf("EnvelopeID = %q, want %q", env.EnvelopeID, tt.wantID)
			}
			if env.RetryAttempt != tt.wantRetry {
				t.Errorf("RetryAttempt = %d, want %d", env.RetryAttempt, tt.wantRetry)
			}
		})
	}
}

func TestClaimKeyFollowsPayload(t *testing.T) {
	first := &Envelope{EnvelopeID: "env-1", Payload: []byte(`{"view":{"id":"V1"}}`)}
	redelivered := &Envelope{EnvelopeID: "env-1", Payload: []byte(`{"view":{"id":"V1"}}`), RetryAttempt: 1}
	reused := &Envelope{EnvelopeID: "env-1", Payload: []byte(`{"view":{"id":"V2"}}`)}
	if claimKey(first) != claimKey(redelivered) {
		t.Errorf("a redelivery has another claim key: %q, %q", claimKey(first), claimKey(redelivered))
	}
	if claimKey(first) == claimKey(reused) {
		t.Errorf("a reused envelope id with new content has the same claim key %q", claimKey(first))
	}
	if !strings.HasPrefix(claimKey(first), "env-1:") {
		t.Errorf("claim key %q does not start with the envelope id", claimKey(first))
	}
}

func TestEncodeAckKeepsMarkup(t *testing.T) {
	frame, err := encodeAck("e1", map[string]string{"text": "<&>"})
	if err != nil {
		t.Fatalf("encodeAck: %v", err)
	}
	if got, want := string(frame), `{"envelope_id":"e1","payload":{"text":"<&>"}}`; got != want {
		t.Errorf("frame = %s, want %s", got, want)
	}
}
