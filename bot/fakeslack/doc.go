// Package fakeslack is an in-process fake of the parts of Slack that
// paperspace-bot uses: the Web API over HTTP and the Socket Mode WebSocket.
//
// New starts a server on 127.0.0.1. Point slack-go at it with
// slack.OptionAPIURL(s.APIURL()), or set SLACK_API_URL to the same value.
// apps.connections.open hands out a ws:// URL on the same server, so a
// Socket Mode client connects to the fake without further setup.
//
// The fake checks what the bot sends the way Slack does: token kinds,
// single-use trigger ids, view hashes, channel membership and the Block Kit
// limits that Slack documents. Tests drive it with Send, Broadcast and the
// payload builders (SlashCommand, ViewSubmission, BlockActions,
// BlockSuggestion), inspect what the bot did with Calls, Messages, Views and
// Acks, and wait for it with the Wait methods instead of sleeping.
// Inject, Disconnect, DropConnections and the other fault methods make
// Slack misbehave on demand.
//
// Every method of Server is safe for concurrent use. Methods that return
// records return copies, except for the JSON inside them (Call.JSON and the
// json.RawMessage fields), which the server never changes after recording
// and callers must not change either.
package fakeslack
