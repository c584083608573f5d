// Package app wires the bot together: it checks the tokens and the API
// key, opens the store, builds the Slack and Core API clients, the
// handlers and the Socket Mode loop, runs them, and stops them cleanly.
// Run also serves health and metrics over HTTP. Check runs the start-up
// checks once, for the check subcommand.
package app

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/rs/zerolog"
	"github.com/slack-go/slack"

	"github.com/paperspace-bot/paperspace-bot/bot"
	"github.com/paperspace-bot/paperspace-bot/chat"
	"github.com/paperspace-bot/paperspace-bot/config"
	"github.com/paperspace-bot/paperspace-bot/handlers"
	"github.com/paperspace-bot/paperspace-bot/metrics"
	"github.com/paperspace-bot/paperspace-bot/paperspace"
	"github.com/paperspace-bot/paperspace-bot/provision"
	"github.com/paperspace-bot/paperspace-bot/slackapi"
	"github.com/paperspace-bot/paperspace-bot/store"
)

// Run starts the bot with settings s and serves Slack until ctx is done,
// then stops taking envelopes, lets the creates in flight finish (up to
// s.ShutdownTimeout) and closes the store. It returns an error, for the
// process to exit non-zero, when a token or the API key is rejected or the
// store cannot be opened.
//
// Unless s.HTTPAddr is off, Run serves /healthz, /readyz and /metrics there
// from its start until it returns. An address that cannot be bound is
// logged as an error, and the bot runs on without the listener.
func Run(ctx context.Context, s config.Settings, log zerolog.Logger) error {
	log.Info().Str("instance_id", s.InstanceID).Bool("dry_run", s.DryRun).Msg("starting")

	measure := metrics.New()
	ready := &readiness{}
	stopHTTP := startListener(s, measure, ready, log)
	defer stopHTTP()

	slackHTTP := slackapi.NewHTTPClient(slackapi.Options{Log: log, OnRateLimited: measure.RateLimited})
	api := slackapi.NewWithClient(s.SlackBotToken, s.SlackAppToken, s.SlackAPIURL, slackHTTP)
	auth, err := checkBotToken(ctx, api)
	if err != nil {
		return err
	}
	log.Info().Str("team_id", auth.TeamID).Str("bot_user_id", auth.UserID).Msg("bot token accepted")

	core, err := paperspace.NewClient(s.PaperspaceAPIURL, s.PaperspaceAPIKey, paperspace.WithObserver(measure.CoreAPICall))
	if err != nil {
		return fmt.Errorf("PAPERSPACE_API_URL: %w", err)
	}
	templates, err := checkAPIKey(ctx, core)
	if err != nil {
		return err
	}
	if templates == nil {
		log.Warn().Msg("the Core API did not respond at start; the template list loads later")
	} else {
		log.Info().Int("templates", len(templates)).Msg("API key accepted")
	}

	db, err := store.Open(ctx, s.DatabaseURL, store.WithLogger(log))
	if err != nil {
		return err
	}
	defer func() {
		if err := db.Close(); err != nil {
			log.Error().Err(err).Msg("close store")
		} else {
			log.Info().Msg("store closed")
		}
	}()
	ready.setStore(db)

	catalog := handlers.NewCatalog(handlers.CatalogConfig{Core: core, Log: log})
	if templates != nil {
		catalog.SetTemplates(templates)
	}
	poster := chat.New(chat.Config{API: api, Log: log, BotUserID: auth.UserID})
	service := provision.New(provision.Config{
		Core:          core,
		Store:         db,
		Poster:        poster,
		Log:           log,
		InstanceID:    s.InstanceID,
		TeamID:        s.PaperspaceTeamID,
		CreateTimeout: s.CreateTimeout,
		WatchInterval: s.WatchInterval,
		WatchTimeout:  s.WatchTimeout,
		DryRun:        s.DryRun,
		Observer:      measure,
	})
	authz := handlers.NewAuthorizer(handlers.AuthorizerConfig{
		API:                   api,
		UserIDs:               s.AdminUserIDs,
		UsergroupIDs:          s.AdminUsergroupIDs,
		IncludeWorkspaceAdmin: s.AdminIncludeWorkspaceAdmins,
	})
	handler := handlers.New(handlers.Config{
		API:               api,
		Views:             slackapi.NewViews(s.SlackBotToken, s.SlackAPIURL, slackHTTP),
		Poster:            poster,
		Core:              core,
		Store:             db,
		Provision:         service,
		Authz:             authz,
		Catalog:           catalog,
		Log:               log,
		Command:           s.SlackCommand,
		ApprovalChannelID: s.ApprovalChannelID,
		RequestExpiry:     s.RequestExpiry,
		Observer:          measure,
	})
	socket := bot.New(bot.Config{
		API:     api,
		Handler: handler,
		Claim: func(ctx context.Context, envelopeID string) (bool, error) {
			return db.ClaimEnvelope(ctx, envelopeID, s.InstanceID)
		},
		Log:                 log,
		Observer:            measure,
		ExpectedConnections: s.Replicas,
	})
	ready.setSocket(socket)

	// Handlers and background work get their own context, so that a stop
	// signal ends the Socket Mode loop first and work in flight finishes.
	workCtx, stopWork := context.WithCancel(context.WithoutCancel(ctx))
	defer stopWork()
	background := []func(context.Context){
		catalog.Refresh,
		catalog.Run,
		service.Run,
		func(ctx context.Context) { handler.ExpireRequests(ctx, time.Minute) },
		func(ctx context.Context) { pruneEnvelopes(ctx, db, log) },
	}
	for _, run := range background {
		go run(workCtx)
	}

	runErr := socket.Run(ctx, workCtx)
	if runErr != nil {
		var fatal *bot.FatalError
		if errors.As(runErr, &fatal) {
			runErr = fmt.Errorf("%s (%w)", fatal.Reason, fatal.Err)
		}
		// main logs runErr once the work in flight has finished.
		log.Info().Msg("socket mode stopped after an error")
	}

	log.Info().Dur("timeout", s.ShutdownTimeout).Msg("stopping: finishing the work in flight")
	drainCtx, cancel := context.WithTimeout(context.Background(), s.ShutdownTimeout)
	defer cancel()
	if err := socket.Wait(drainCtx); err != nil {
		log.Warn().Err(err).Msg("handlers still running when the shutdown timeout passed")
	}
	if err := service.Shutdown(drainCtx); err != nil {
		log.Warn().Err(err).Msg("stopping")
	}
	stopWork()
	log.Info().Msg("stopped")
	return runErr
}

// fatalAuthErrors are auth.test errors that mean the bot token is wrong.
var fatalAuthErrors = map[string]bool{
	"invalid_auth": true, "not_authed": true, "account_inactive": true, "token_revoked": true,
	"token_expired": true, "not_allowed_token_type": true, "missing_scope": true, "invalid_token": true,
}

// checkBotToken calls auth.test. It stops on a rejected token, and retries
// an unreachable Slack for up to a minute.
func checkBotToken(ctx context.Context, api *slack.Client) (*slack.AuthTestResponse, error) {
	deadline := time.Now().Add(time.Minute)
	delay := 500 * time.Millisecond
	for {
		callCtx, cancel := context.WithTimeout(ctx, 15*time.Second)
		auth, err := api.AuthTestContext(callCtx)
		cancel()
		if err == nil {
			return auth, nil
		}
		var slackErr slack.SlackErrorResponse
		if errors.As(err, &slackErr) && fatalAuthErrors[slackErr.Err] {
			return nil, fmt.Errorf("SLACK_BOT_TOKEN was rejected by Slack (%s): set it to the bot token (xoxb-…) from OAuth & Permissions", slackErr.Err)
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return nil, fmt.Errorf("check SLACK_BOT_TOKEN with auth.test at SLACK_API_URL: %w", err)
		}
		time.Sleep(delay)
		delay = min(2*delay, 10*time.Second)
	}
}

// checkAPIKey lists templates to prove the API key. A rejected key stops
// the bot; an unreachable Core API does not (nil templates, nil error).
func checkAPIKey(ctx context.Context, core *paperspace.Client) ([]paperspace.Template, error) {
	callCtx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	templates, err := core.ListTemplates(callCtx, paperspace.TemplateFilter{})
	if err == nil {
		if templates == nil {
			templates = []paperspace.Template{}
		}
		return templates, nil
	}
	if paperspace.IsInvalidAPIKey(err) {
		return nil, fmt.Errorf("PAPERSPACE_API_KEY was rejected by the Core API (%w): set it to a valid API key of a team admin", err)
	}
	return nil, nil
}

// pruneEnvelopes deletes envelope claims older than a day, every hour.
func pruneEnvelopes(ctx context.Context, db store.Store, log zerolog.Logger) {
	ticker := time.NewTicker(time.Hour)
	defer ticker.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
			n, err := db.PruneEnvelopes(ctx, time.Now().Add(-24*time.Hour))
			if err != nil {
				log.Warn().Err(err).Msg("prune envelope claims")
			} else if n > 0 {
				log.Debug().Int64("deleted", n).Msg("envelope claims pruned")
			}
		}
	}
}
