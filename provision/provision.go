// Package provision creates machines for stored requests and follows each
// one to its end. It calls the Core API's create endpoint once per attempt
// and never retries it on its own. It looks the machine up by name when the
// outcome is unknown, and follows a created machine until it is ready.
// After a restart, or on another replica, it picks up every attempt and
// watch that a stopped process left behind.
//
// Each attempt holds a lease on its request (Owner and LeaseUntil), renewed
// while the attempt runs. Another process takes a request over only once
// its lease has lapsed, or, at start, when an earlier process with the same
// InstanceID held it. So two live processes never act on one attempt.
package provision

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/rs/zerolog"

	paperspacebot "github.com/paperspace-bot/paperspace-bot"
	"github.com/paperspace-bot/paperspace-bot/chat"
	"github.com/paperspace-bot/paperspace-bot/paperspace"
	"github.com/paperspace-bot/paperspace-bot/store"
)

// Lease timing. An attempt renews its lease every leaseRenew, so a process
// that dies leaves a lease that lapses within leaseTTL.
const (
	leaseTTL   = 10 * time.Second
	leaseRenew = 3 * time.Second
	// sweepInterval is how often the service looks for lapsed leases.
	sweepInterval = 2 * time.Second
	// clockSkew is how much earlier than the attempt's start a machine's
	// dtCreated may be and still belong to the attempt, allowing for the
	// difference between this host's clock and the Core API's.
	clockSkew = 10 * time.Second
	// DefaultReconcileDelay is how long after a create call's timeout the
	// bot looks for the machine a second time, for a create that the Core
	// API finishes late.
	DefaultReconcileDelay = 5 * time.Second
)

// Observer receives the service's measurements. Its methods must be fast.
type Observer interface {
	MachineCreated()
	Reconciled(outcome string)
}

// Config configures a Service.
type Config struct {
	Core   *paperspace.Client
	Store  store.Store
	Poster *chat.Poster
	Log    zerolog.Logger
	// InstanceID names this process in leases and audit rows.
	InstanceID string
	// TeamID is sent as teamId with each create when set.
	TeamID string
	// CreateTimeout bounds one create call.
	CreateTimeout time.Duration
	// ReconcileDelay is how long after a create call's timeout the bot
	// looks for the machine a second time; DefaultReconcileDelay when zero.
	ReconcileDelay time.Duration
	// WatchInterval and WatchTimeout pace and bound following a machine.
	WatchInterval time.Duration
	WatchTimeout  time.Duration
	// DryRun skips the create call.
	DryRun   bool
	Now      func() time.Time
	Observer Observer
}

// Service runs create attempts and machine watches.
type Service struct {
	cfg Config
	log zerolog.Logger
	now func() time.Time

	// creates tracks create attempts in flight, for a graceful stop.
	creates sync.WaitGroup
	// watches tracks watch goroutines; watchCtx stops them.
	watches     sync.WaitGroup
	watchCtx    context.Context
	stopWatches context.CancelFunc

	mu sync.Mutex
	// active counts, per request id, the attempts and lookups this process
	// runs, so that the sweep never takes over its own work.
	active map[string]int
	// watching holds the ids of requests whose machine this process
	// follows, so that a machine has one watch.
	watching map[string]bool
	// stopping is set once Shutdown has begun; see beginWork.
	stopping bool
}

// New returns a Service. Call Run to start the background sweep.
func New(cfg Config) *Service {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Observer == nil {
		cfg.Observer = nopObserver{}
	}
	if cfg.ReconcileDelay <= 0 {
		cfg.ReconcileDelay = DefaultReconcileDelay
	}
	watchCtx, stop := context.WithCancel(context.Background())
	return &Service{
		cfg:         cfg,
		log:         cfg.Log,
		now:         cfg.Now,
		watchCtx:    watchCtx,
		stopWatches: stop,
		active:      make(map[string]int),
		watching:    make(map[string]bool),
	}
}

type nopObserver struct{}

func (nopObserver) MachineCreated()   {}
func (nopObserver) Reconciled(string) {}

// Shutdown stops following machines (their leases lapse and another
// process, or this one after a restart, resumes them) and waits for the
// create attempts in flight until ctx is done.
func (s *Service) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	s.stopping = true
	s.mu.Unlock()
	s.stopWatches()
	done := make(chan struct{})
	go func() {
		s.creates.Wait()
		s.watches.Wait()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return errors.New("create attempts still in flight when the shutdown timeout passed; they will be reconciled at the next start")
	}
}

// beginWork adds one to wg, for Shutdown to wait for, unless Shutdown has
// begun: sync.WaitGroup forbids an Add from zero while Wait runs. On false
// the caller must not start the work, which the sweep of the next start or
// of another replica picks up once the lease lapses.
func (s *Service) beginWork(wg *sync.WaitGroup) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stopping {
		return false
	}
	wg.Add(1)
	return true
}

// track marks request id as worked on by this process until the returned
// function is called.
func (s *Service) track(id string) (untrack func()) {
	s.mu.Lock()
	s.active[id]++
	s.mu.Unlock()
	return func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		if s.active[id]--; s.active[id] <= 0 {
			delete(s.active, id)
		}
	}
}

func (s *Service) isActive(id string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.active[id] > 0 || s.watching[id]
}

// claimWatch marks id as followed by this process; it returns false when
// it already is.
func (s *Service) claimWatch(id string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.watching[id] {
		return false
	}
	s.watching[id] = true
	return true
}

func (s *Service) releaseWatch(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.watching, id)
}

// destination returns where a request's results go.
func destination(r *paperspacebot.Request) chat.Destination {
	return chat.Destination{ChannelID: r.ChannelID, UserID: r.RequesterID, ResponseURL: r.ResponseURL}
}

// errLeaseLost aborts a store change when another process took the
// request over.
var errLeaseLost = errors.New("lease lost to another instance")

// errLeaseHeld aborts a takeover while the lease is still held.
var errLeaseHeld = errors.New("lease still held")

// ownedBy returns a store change that fails unless this process holds the
// request's lease, then applies change.
func (s *Service) ownedBy(change func(*paperspacebot.Request) error) func(*paperspacebot.Request) error {
	return func(r *paperspacebot.Request) error {
		if r.Owner != s.cfg.InstanceID {
			return errLeaseLost
		}
		if change == nil {
			return nil
		}
		return change(r)
	}
}

// holdLease renews the lease on request id every leaseRenew until the
// returned stop function is called.
func (s *Service) holdLease(id string) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		ticker := time.NewTicker(leaseRenew)
		defer ticker.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-ticker.C:
				_, err := s.cfg.Store.Update(ctx, id, nil, s.ownedBy(func(r *paperspacebot.Request) error {
					r.LeaseUntil = s.now().Add(leaseTTL)
					return nil
				}))
				if err != nil && ctx.Err() == nil {
					s.log.Warn().Err(err).Str("request_id", id).Msg("renew lease")
				}
			}
		}
	}()
	return func() {
		cancel()
		<-done
	}
}
