// Package paperspacebot holds the domain types that the bot's packages share:
// the machine spec that a form produces, the durable request that tracks one
// machine from the form to a ready machine, and the states that request moves
// through.
//
// The packages around it each wrap one dependency: paperspace (the Core API),
// store (the database), blocks (Slack views and messages), bot (the Socket
// Mode connection) and handlers (what each Slack interaction does).
package paperspacebot
