-- Requests, their audit trail and Socket Mode envelope claims.
-- Times are RFC 3339 text in UTC with six fraction digits, so that text
-- order is time order.

-- doc is the whole paperspacebot.Request as JSON. The other columns copy
-- some of its fields for queries and constraints.
CREATE TABLE requests (
	id TEXT PRIMARY KEY,
	key TEXT NOT NULL UNIQUE,
	state TEXT NOT NULL,
	version INTEGER NOT NULL,
	requester_id TEXT NOT NULL,
	channel_id TEXT NOT NULL,
	created_at TEXT NOT NULL,
	updated_at TEXT NOT NULL,
	lease_until TEXT,
	expires_at TEXT,
	doc TEXT NOT NULL
);

CREATE INDEX requests_state_idx ON requests (state);
CREATE INDEX requests_created_at_idx ON requests (created_at);
CREATE INDEX requests_requester_id_idx ON requests (requester_id);

CREATE TABLE audit (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	request_id TEXT NOT NULL REFERENCES requests (id),
	at TEXT NOT NULL,
	actor TEXT NOT NULL,
	action TEXT NOT NULL,
	from_state TEXT NOT NULL,
	to_state TEXT NOT NULL,
	outcome TEXT NOT NULL
);

CREATE INDEX audit_request_id_idx ON audit (request_id, id);

CREATE TABLE envelopes (
	envelope_id TEXT PRIMARY KEY,
	owner TEXT NOT NULL,
	claimed_at TEXT NOT NULL
);

CREATE INDEX envelopes_claimed_at_idx ON envelopes (claimed_at);
