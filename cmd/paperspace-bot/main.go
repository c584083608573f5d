// Command paperspace-bot runs the Slack bot that creates Paperspace
// machines. Settings come from environment variables (see README.md).
//
//	paperspace-bot        run the bot until SIGINT or SIGTERM
//	paperspace-bot check  check the settings, tokens, API key and store
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/mattn/go-isatty"
	"github.com/rs/zerolog"

	"github.com/paperspace-bot/paperspace-bot/app"
	"github.com/paperspace-bot/paperspace-bot/config"
)

func main() {
	os.Exit(run(os.Args[1:]))
}

func run(args []string) int {
	command := "run"
	if len(args) > 0 {
		command = args[0]
	}
	switch command {
	case "run":
	case "check":
		return runCheck()
	case "-h", "--help", "help":
		fmt.Println("usage: paperspace-bot [check]\n\nWith no argument, run the bot until SIGINT or SIGTERM.\ncheck: check the settings, the tokens, the API key and the store once,\n       print one line per check and exit non-zero when any failed.\n\nSettings come from environment variables; see README.md.")
		return 0
	default:
		fmt.Fprintf(os.Stderr, "paperspace-bot: unknown command %q; run it with no argument, or with check\n", command)
		return 2
	}

	settings, err := config.Load()
	if err != nil {
		fmt.Fprintf(os.Stderr, "paperspace-bot: %v\n", err)
		return 2
	}
	log := newLogger(settings)

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := app.Run(ctx, settings, log); err != nil {
		log.Error().Err(err).Msg("paperspace-bot stopped with an error")
		return 1
	}
	return 0
}

// runCheck runs "paperspace-bot check": one line per check on standard
// output, and exit status 1 when any check failed.
func runCheck() int {
	settings, err := config.Load()
	if err != nil {
		fmt.Printf("FAIL settings: %v\n", err)
		return 1
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := app.Check(ctx, settings, os.Stdout); err != nil {
		fmt.Fprintf(os.Stderr, "paperspace-bot check: %v\n", err)
		return 1
	}
	return 0
}

// newLogger returns the process's logger. Durations are logged as seconds,
// and the console form is coloured only on a terminal.
func newLogger(s config.Settings) zerolog.Logger {
	zerolog.TimeFieldFormat = time.RFC3339Nano
	zerolog.DurationFieldUnit = time.Second
	zerolog.DurationFieldInteger = false
	var log zerolog.Logger
	if s.LogFormat == "console" {
		noColor := !isatty.IsTerminal(os.Stderr.Fd())
		log = zerolog.New(zerolog.ConsoleWriter{Out: os.Stderr, TimeFormat: time.TimeOnly, NoColor: noColor})
	} else {
		log = zerolog.New(os.Stderr)
	}
	return log.Level(s.Level()).With().Timestamp().Logger()
}
