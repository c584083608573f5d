// Package blocks builds every Slack view and message that paperspace-bot
// shows: the create, request and approval forms, the loading and notice
// modals, the options of the external selects, and the channel messages
// about requests and machines.
//
// Every builder is a pure function of its arguments. Nothing here reads the
// clock, the network or a global that changes, so times are passed in.
// Every builder keeps Slack's block limits (see the Max constants), and
// Check walks a built view or message to prove it.
//
// Text that users typed (machine names, labels, reasons) or that the Core
// API returned is escaped before it goes into mrkdwn, so it cannot mention
// a channel or break the layout.
package blocks
