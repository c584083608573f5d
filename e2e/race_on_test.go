//go:build race

package e2e

// raceEnabled makes the harness build the bot with the race detector when
// the tests themselves run with it.
const raceEnabled = true
