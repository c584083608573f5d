// Package storetest is the test suite that every store.Store implementation
// must pass. The store package runs it against SQLite and, when a test
// database is configured, against PostgreSQL.
package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"sync"
	"testing"
	"time"

	paperspacebot "github.com/paperspace-bot/paperspace-bot"
	"github.com/paperspace-bot/paperspace-bot/paperspace"
	"github.com/paperspace-bot/paperspace-bot/store"
)

// Run runs the suite. newDatabase must return the URL of a new, empty
// database each time it is called, and remove the database when t ends.
// Run opens each URL with store.Open, sometimes twice at once to act as two
// replicas, and closes every Store it opens.
func Run(t *testing.T, newDatabase func(t *testing.T) string) {
	s := &suite{newDatabase: newDatabase}
	tests := []struct {
		name string
		run  func(t *testing.T)
	}{
		{"CreateAndGet", s.testCreateAndGet},
		{"CreateDuplicateKey", s.testCreateDuplicateKey},
		{"CreateInvalid", s.testCreateInvalid},
		{"GetNotFound", s.testGetNotFound},
		{"TransitionWritesAudit", s.testTransitionWritesAudit},
		{"TransitionConflict", s.testTransitionConflict},
		{"TransitionInvalidMove", s.testTransitionInvalidMove},
		{"TransitionChangeError", s.testTransitionChangeError},
		{"ChangeSetsOwnedField", s.testChangeSetsOwnedField},
		{"TransitionRace", s.testTransitionRace},
		{"UpdateRace", s.testUpdateRace},
		{"UpdateAudit", s.testUpdateAudit},
		{"UpdateAbort", s.testUpdateAbort},
		{"ListFilter", s.testListFilter},
		{"ClaimEnvelope", s.testClaimEnvelope},
		{"ClaimEnvelopeRace", s.testClaimEnvelopeRace},
		{"ClaimEnvelopeTwoStores", s.testClaimEnvelopeTwoStores},
		{"PruneEnvelopes", s.testPruneEnvelopes},
		{"MigrateReopen", s.testMigrateReopen},
		{"MigrateConcurrent", s.testMigrateConcurrent},
		{"TimesRoundTrip", s.testTimesRoundTrip},
	}
	for _, tt := range tests {
		t.Run(tt.name, tt.run)
	}
}

type suite struct {
	newDatabase func(t *testing.T) string
}

// racers is the number of goroutines in each race test.
const racers = 20

// open opens a Store on a new database.
func (s *suite) open(t *testing.T, opts ...store.Option) store.Store {
	t.Helper()
	return openURL(t, s.newDatabase(t), opts...)
}

// openURL opens a Store on url and closes it when t ends.
func openURL(t *testing.T, url string, opts ...store.Option) store.Store {
	t.Helper()
	st, err := store.Open(context.Background(), url, opts...)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() {
		if err := st.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return st
}

// clock is a settable clock for store.WithClock.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func newClock(start time.Time) *clock { return &clock{now: start} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
}

// epoch is the fake clock's start: a sub-second UTC time, so that a lost
// fraction shows.
var epoch = time.Date(2025, 3, 14, 9, 26, 53, 589793000, time.UTC)

// newRequest returns a pending request with every kind of field set.
func newRequest(key string) *paperspacebot.Request {
	return &paperspacebot.Request{
		Key:   key,
		State: paperspacebot.StatePending,
		Spec: paperspacebot.Spec{
			Name:        "gpu-" + key,
			Region:      "East Coast (NY2)",
			MachineType: "P4000",
			TemplateID:  "t123abc",
			SizeGB:      100,
			NewUser:     &paperspacebot.NewUser{Email: "ada@example.com", FirstName: "Ada", LastName: "Lovelace"},
			PublicIP:    true,
		},
		RequesterID: "U_MEMBER",
		TeamID:      "T1",
		ChannelID:   "C1",
		ResponseURL: "https://hooks.slack.test/commands/1",
		Candidates:  []string{"ps1", "ps2"},
	}
}

var createAudit = store.Audit{Actor: "U_MEMBER", Action: "request", Outcome: "submitted"}

// mustCreate stores r and fails t on any error.
func mustCreate(t *testing.T, st store.Store, r *paperspacebot.Request) *paperspacebot.Request {
	t.Helper()
	created, err := st.CreateRequest(context.Background(), r, createAudit)
	if err != nil {
		t.Fatalf("CreateRequest(key %s): %v", r.Key, err)
	}
	return created
}

// mustGet reads request id and fails t on any error.
func mustGet(t *testing.T, st store.Store, id string) *paperspacebot.Request {
	t.Helper()
	r, err := st.GetRequest(context.Background(), id)
	if err != nil {
		t.Fatalf("GetRequest(%s): %v", id, err)
	}
	return r
}

// mustAudit reads the audit trail of request id and fails t on any error.
func mustAudit(t *testing.T, st store.Store, id string) []paperspacebot.AuditEntry {
	t.Helper()
	trail, err := st.AuditTrail(context.Background(), id)
	if err != nil {
		t.Fatalf("AuditTrail(%s): %v", id, err)
	}
	return trail
}

// asJSON renders v for comparisons that print a readable got and want.
func asJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatalf("marshal %T: %v", v, err)
	}
	return string(b)
}

// requestIDPattern is the form of NewID's ids.
var requestIDPattern = regexp.MustCompile(`^r[a-z0-9]{10}$`)

func (s *suite) testCreateAndGet(t *testing.T) {
	clk := newClock(epoch)
	st := s.open(t, store.WithClock(clk.Now))
	ctx := context.Background()

	in := newRequest("view:V1")
	in.Machine = &paperspace.Machine{ID: "ps123", Name: "gpu-1", State: "provisioning", RAM: 32 << 30}
	created, err := st.CreateRequest(ctx, in, createAudit)
	if err != nil {
		t.Fatalf("CreateRequest: %v", err)
	}

	if !requestIDPattern.MatchString(created.ID) {
		t.Errorf("ID = %q, want the form %s", created.ID, requestIDPattern)
	}
	if created.Version != 1 {
		t.Errorf("Version = %d, want 1", created.Version)
	}
	if !created.CreatedAt.Equal(epoch) || !created.UpdatedAt.Equal(epoch) {
		t.Errorf("CreatedAt, UpdatedAt = %v, %v, want both %v", created.CreatedAt, created.UpdatedAt, epoch)
	}
	if in.ID != "" || in.Version != 0 {
		t.Errorf("CreateRequest changed its argument: ID %q, Version %d, want \"\" and 0", in.ID, in.Version)
	}

	byID := mustGet(t, st, created.ID)
	if got, want := asJSON(t, byID), asJSON(t, created); got != want {
		t.Errorf("GetRequest = %s\nwant %s", got, want)
	}
	byKey, err := st.GetRequestByKey(ctx, "view:V1")
	if err != nil {
		t.Fatalf("GetRequestByKey: %v", err)
	}
	if got, want := asJSON(t, byKey), asJSON(t, created); got != want {
		t.Errorf("GetRequestByKey = %s\nwant %s", got, want)
	}

	trail := mustAudit(t, st, created.ID)
	want := []paperspacebot.AuditEntry{{
		RequestID: created.ID, At: epoch, Actor: "U_MEMBER", Action: "request",
		From: "", To: paperspacebot.StatePending, Outcome: "submitted",
	}}
	if len(trail) == 1 {
		want[0].ID = trail[0].ID
	}
	if got, want := asJSON(t, trail), asJSON(t, want); got != want {
		t.Errorf("AuditTrail = %s\nwant %s", got, want)
	}

	// A caller-chosen id is kept.
	withID := newRequest("view:V2")
	withID.ID = "rcaller0001"
	if got := mustCreate(t, st, withID); got.ID != "rcaller0001" {
		t.Errorf("ID = %q, want the caller's rcaller0001", got.ID)
	}
}

func (s *suite) testCreateDuplicateKey(t *testing.T) {
	st := s.open(t)
	ctx := context.Background()
	first := mustCreate(t, st, newRequest("view:DUP"))

	tests := []struct {
		name string
		in   *paperspacebot.Request
	}{
		{"same key", newRequest("view:DUP")},
		{"same key and id", func() *paperspacebot.Request {
			r := newRequest("view:DUP")
			r.ID = first.ID
			return r
		}()},
		{"same key other state", func() *paperspacebot.Request {
			r := newRequest("view:DUP")
			r.State = paperspacebot.StateCreating
			return r
		}()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := st.CreateRequest(ctx, tt.in, createAudit)
			if !errors.Is(err, store.ErrDuplicate) {
				t.Fatalf("CreateRequest error = %v, want ErrDuplicate", err)
			}
			if got == nil || got.ID != first.ID || got.State != paperspacebot.StatePending {
				t.Errorf("CreateRequest returned %+v, want the existing request %s in state pending", got, first.ID)
			}
		})
	}

	if n := len(mustAudit(t, st, first.ID)); n != 1 {
		t.Errorf("audit rows after duplicates = %d, want 1", n)
	}
	list, err := st.ListRequests(ctx, store.Filter{})
	if err != nil {
		t.Fatalf("ListRequests: %v", err)
	}
	if len(list) != 1 {
		t.Errorf("stored requests = %d, want 1", len(list))
	}
}

func (s *suite) testCreateInvalid(t *testing.T) {
	st := s.open(t)
	tests := []struct {
		name  string
		key   string
		state paperspacebot.State
	}{
		{"missing key", "", paperspacebot.StatePending},
		{"missing state", "view:V1", ""},
		{"unknown state", "view:V1", "approved"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRequest(tt.key)
			r.State = tt.state
			got, err := st.CreateRequest(context.Background(), r, createAudit)
			if err == nil {
				t.Errorf("CreateRequest = %+v, want an error", got)
			}
		})
	}
}

func (s *suite) testGetNotFound(t *testing.T) {
	st := s.open(t)
	ctx := context.Background()
	mustCreate(t, st, newRequest("view:V1"))
	noop := func(*paperspacebot.Request) error { return nil }

	tests := []struct {
		name string
		call func() error
	}{
		{"GetRequest", func() error { _, err := st.GetRequest(ctx, "rmissing00"); return err }},
		{"GetRequestByKey", func() error { _, err := st.GetRequestByKey(ctx, "view:missing"); return err }},
		{"Transition", func() error {
			_, err := st.Transition(ctx, "rmissing00", []paperspacebot.State{paperspacebot.StatePending},
				paperspacebot.StateDenied, store.Audit{}, noop)
			return err
		}},
		{"Update", func() error { _, err := st.Update(ctx, "rmissing00", nil, noop); return err }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.call(); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("error = %v, want ErrNotFound", err)
			}
		})
	}

	trail, err := st.AuditTrail(ctx, "rmissing00")
	if err != nil || len(trail) != 0 {
		t.Errorf("AuditTrail(unknown id) = %v, %v, want an empty list and no error", trail, err)
	}
}

func (s *suite) testTransitionWritesAudit(t *testing.T) {
	clk := newClock(epoch)
	st := s.open(t, store.WithClock(clk.Now))
	ctx := context.Background()
	r := mustCreate(t, st, newRequest("view:V1"))

	decided := epoch.Add(90 * time.Second)
	clk.Set(decided)
	got, err := st.Transition(ctx, r.ID, []paperspacebot.State{paperspacebot.StatePending}, paperspacebot.StateCreating,
		store.Audit{Actor: "U_ADMIN", Action: "approve"},
		func(r *paperspacebot.Request) error {
			r.DecidedBy = "U_ADMIN"
			r.DecidedAt = decided
			r.AttemptBy = "U_ADMIN"
			r.Attempts++
			return nil
		})
	if err != nil {
		t.Fatalf("Transition: %v", err)
	}

	checks := []struct {
		field     string
		got, want any
	}{
		{"State", got.State, paperspacebot.StateCreating},
		{"Version", got.Version, int64(2)},
		{"DecidedBy", got.DecidedBy, "U_ADMIN"},
		{"Attempts", got.Attempts, 1},
		{"UpdatedAt", got.UpdatedAt, decided},
		{"CreatedAt", got.CreatedAt, epoch},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("returned %s = %v, want %v", c.field, c.got, c.want)
		}
	}
	if stored := mustGet(t, st, r.ID); asJSON(t, stored) != asJSON(t, got) {
		t.Errorf("GetRequest = %s\nwant the returned request %s", asJSON(t, stored), asJSON(t, got))
	}

	trail := mustAudit(t, st, r.ID)
	if len(trail) != 2 {
		t.Fatalf("audit rows = %d, want 2: %s", len(trail), asJSON(t, trail))
	}
	want := paperspacebot.AuditEntry{
		ID: trail[1].ID, RequestID: r.ID, At: decided, Actor: "U_ADMIN", Action: "approve",
		From: paperspacebot.StatePending, To: paperspacebot.StateCreating,
	}
	if got, want := asJSON(t, trail[1]), asJSON(t, want); got != want {
		t.Errorf("audit row = %s\nwant %s", got, want)
	}
	if trail[1].ID <= trail[0].ID {
		t.Errorf("audit ids = %d, %d, want increasing", trail[0].ID, trail[1].ID)
	}
}

func (s *suite) testTransitionConflict(t *testing.T) {
	st := s.open(t)
	ctx := context.Background()

	// Each case moves a new request along setup, then tries from → to.
	tests := []struct {
		name  string
		setup []paperspacebot.State
		from  []paperspacebot.State
		to    paperspacebot.State
		want  paperspacebot.State
	}{
		{"approve after deny", []paperspacebot.State{paperspacebot.StateDenied},
			[]paperspacebot.State{paperspacebot.StatePending}, paperspacebot.StateCreating, paperspacebot.StateDenied},
		{"deny after approve", []paperspacebot.State{paperspacebot.StateCreating},
			[]paperspacebot.State{paperspacebot.StatePending}, paperspacebot.StateDenied, paperspacebot.StateCreating},
		{"retry while creating", []paperspacebot.State{paperspacebot.StateCreating},
			[]paperspacebot.State{paperspacebot.StateFailed, paperspacebot.StateUnknown}, paperspacebot.StateCreating, paperspacebot.StateCreating},
		{"retry after success", []paperspacebot.State{paperspacebot.StateCreating, paperspacebot.StateCreated},
			[]paperspacebot.State{paperspacebot.StateFailed, paperspacebot.StateUnknown}, paperspacebot.StateCreating, paperspacebot.StateCreated},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := mustCreate(t, st, newRequest(fmt.Sprintf("view:C%d", i)))
			from := r.State
			for _, next := range tt.setup {
				if _, err := st.Transition(ctx, r.ID, []paperspacebot.State{from}, next, store.Audit{Actor: "U_FIRST"},
					func(r *paperspacebot.Request) error { r.DecidedBy = "U_FIRST"; return nil }); err != nil {
					t.Fatalf("setup Transition %s → %s: %v", from, next, err)
				}
				from = next
			}

			got, err := st.Transition(ctx, r.ID, tt.from, tt.to, store.Audit{Actor: "U_SECOND"},
				func(r *paperspacebot.Request) error { r.DecidedBy = "U_SECOND"; return nil })
			if got != nil {
				t.Errorf("Transition returned %+v, want nil", got)
			}
			var conflict *store.ConflictError
			if !errors.As(err, &conflict) {
				t.Fatalf("Transition error = %v, want *ConflictError", err)
			}
			if !errors.Is(err, store.ErrConflict) {
				t.Errorf("errors.Is(%v, ErrConflict) = false, want true", err)
			}
			if conflict.Current == nil {
				t.Fatal("ConflictError.Current = nil, want the stored request")
			}
			if conflict.Current.State != tt.want || conflict.Current.DecidedBy != "U_FIRST" {
				t.Errorf("Current state, DecidedBy = %s, %s, want %s, U_FIRST", conflict.Current.State, conflict.Current.DecidedBy, tt.want)
			}
			if n, want := len(mustAudit(t, st, r.ID)), 1+len(tt.setup); n != want {
				t.Errorf("audit rows = %d, want %d (no row for the rejected move)", n, want)
			}
		})
	}
}

func (s *suite) testTransitionInvalidMove(t *testing.T) {
	st := s.open(t)
	r := mustCreate(t, st, newRequest("view:V1"))

	tests := []struct {
		name string
		from []paperspacebot.State
		to   paperspacebot.State
	}{
		{"pending to ready", []paperspacebot.State{paperspacebot.StatePending}, paperspacebot.StateReady},
		{"pending to pending", []paperspacebot.State{paperspacebot.StatePending}, paperspacebot.StatePending},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := st.Transition(context.Background(), r.ID, tt.from, tt.to, store.Audit{}, nil)
			if !errors.Is(err, store.ErrInvalidMove) {
				t.Errorf("Transition error = %v, want ErrInvalidMove", err)
			}
		})
	}

	tests2 := []struct {
		name string
		from []paperspacebot.State
		to   paperspacebot.State
	}{
		{"no from state", nil, paperspacebot.StateDenied},
		{"unknown target", []paperspacebot.State{paperspacebot.StatePending}, "approved"},
	}
	for _, tt := range tests2 {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := st.Transition(context.Background(), r.ID, tt.from, tt.to, store.Audit{}, nil); err == nil {
				t.Error("Transition error = nil, want an error")
			}
		})
	}

	if got := mustGet(t, st, r.ID); got.Version != 1 || got.State != paperspacebot.StatePending {
		t.Errorf("after rejected moves: version %d, state %s, want 1, pending", got.Version, got.State)
	}
}

var errTest = errors.New("test abort")

func (s *suite) testTransitionChangeError(t *testing.T) {
	st := s.open(t)
	r := mustCreate(t, st, newRequest("view:V1"))

	_, err := st.Transition(context.Background(), r.ID, []paperspacebot.State{paperspacebot.StatePending}, paperspacebot.StateCreating,
		store.Audit{Actor: "U_ADMIN"},
		func(r *paperspacebot.Request) error {
			r.DecidedBy = "U_ADMIN"
			return errTest
		})
	if !errors.Is(err, errTest) {
		t.Fatalf("Transition error = %v, want the change's error", err)
	}

	got := mustGet(t, st, r.ID)
	if got.State != paperspacebot.StatePending || got.Version != 1 || got.DecidedBy != "" {
		t.Errorf("after aborted change: state %s, version %d, DecidedBy %q, want pending, 1, \"\"", got.State, got.Version, got.DecidedBy)
	}
	if n := len(mustAudit(t, st, r.ID)); n != 1 {
		t.Errorf("audit rows = %d, want 1", n)
	}
}

func (s *suite) testChangeSetsOwnedField(t *testing.T) {
	st := s.open(t)
	ctx := context.Background()
	r := mustCreate(t, st, newRequest("view:V1"))

	tests := []struct {
		name   string
		change func(*paperspacebot.Request) error
	}{
		{"State", func(r *paperspacebot.Request) error { r.State = paperspacebot.StateReady; return nil }},
		{"Version", func(r *paperspacebot.Request) error { r.Version = 99; return nil }},
		{"ID", func(r *paperspacebot.Request) error { r.ID = "rother0000"; return nil }},
		{"Key", func(r *paperspacebot.Request) error { r.Key = "view:other"; return nil }},
		{"CreatedAt", func(r *paperspacebot.Request) error { r.CreatedAt = epoch; return nil }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := st.Update(ctx, r.ID, nil, tt.change); err == nil {
				t.Error("Update error = nil, want an error")
			}
			if _, err := st.Transition(ctx, r.ID, []paperspacebot.State{paperspacebot.StatePending}, paperspacebot.StateDenied,
				store.Audit{}, tt.change); err == nil {
				t.Error("Transition error = nil, want an error")
			}
		})
	}

	if got := mustGet(t, st, r.ID); got.Version != 1 || got.State != paperspacebot.StatePending {
		t.Errorf("after rejected changes: version %d, state %s, want 1, pending", got.Version, got.State)
	}
}

func (s *suite) testTransitionRace(t *testing.T) {
	st := s.open(t)
	ctx := context.Background()
	r := mustCreate(t, st, newRequest("view:RACE"))

	type result struct {
		admin string
		got   *paperspacebot.Request
		err   error
	}
	results := make(chan result, racers)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range racers {
		admin := fmt.Sprintf("U_ADMIN%02d", i)
		wg.Go(func() {
			<-start
			got, err := st.Transition(ctx, r.ID, []paperspacebot.State{paperspacebot.StatePending}, paperspacebot.StateCreating,
				store.Audit{Actor: admin, Action: "approve"},
				func(r *paperspacebot.Request) error {
					r.DecidedBy = admin
					r.AttemptBy = admin
					r.Attempts++
					return nil
				})
			results <- result{admin, got, err}
		})
	}
	close(start)
	wg.Wait()
	close(results)

	var winners []string
	var losers []result
	for res := range results {
		if res.err == nil {
			winners = append(winners, res.admin)
			continue
		}
		losers = append(losers, res)
	}
	if len(winners) != 1 {
		t.Fatalf("winners = %v, want exactly one", winners)
	}
	for _, res := range losers {
		var conflict *store.ConflictError
		if !errors.As(res.err, &conflict) {
			t.Errorf("%s: error = %v, want *ConflictError", res.admin, res.err)
			continue
		}
		if conflict.Current.AttemptBy != winners[0] || conflict.Current.State != paperspacebot.StateCreating {
			t.Errorf("%s: Current AttemptBy, State = %s, %s, want %s, creating", res.admin, conflict.Current.AttemptBy, conflict.Current.State, winners[0])
		}
	}

	final := mustGet(t, st, r.ID)
	if final.Version != 2 || final.Attempts != 1 || final.AttemptBy != winners[0] {
		t.Errorf("final version, attempts, AttemptBy = %d, %d, %s, want 2, 1, %s", final.Version, final.Attempts, final.AttemptBy, winners[0])
	}
	if n := len(mustAudit(t, st, r.ID)); n != 2 {
		t.Errorf("audit rows = %d, want 2", n)
	}
}

func (s *suite) testUpdateRace(t *testing.T) {
	st := s.open(t)
	ctx := context.Background()
	r := mustCreate(t, st, newRequest("view:UPD"))

	errs := make(chan error, racers)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range racers {
		candidate := fmt.Sprintf("ps%02d", i)
		wg.Go(func() {
			<-start
			_, err := st.Update(ctx, r.ID, nil, func(r *paperspacebot.Request) error {
				r.Attempts++
				r.Candidates = append(r.Candidates, candidate)
				return nil
			})
			errs <- err
		})
	}
	close(start)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("Update: %v", err)
		}
	}

	final := mustGet(t, st, r.ID)
	if final.Version != 1+racers {
		t.Errorf("Version = %d, want %d", final.Version, 1+racers)
	}
	if final.Attempts != racers {
		t.Errorf("Attempts = %d, want %d", final.Attempts, racers)
	}
	// newRequest starts with two candidates, and each update added one.
	if len(final.Candidates) != 2+racers {
		t.Errorf("len(Candidates) = %d, want %d: %v", len(final.Candidates), 2+racers, final.Candidates)
	}
	if n := len(mustAudit(t, st, r.ID)); n != 1 {
		t.Errorf("audit rows = %d, want 1 (Update with a nil Audit writes none)", n)
	}
}

func (s *suite) testUpdateAudit(t *testing.T) {
	clk := newClock(epoch)
	st := s.open(t, store.WithClock(clk.Now))
	ctx := context.Background()
	r := mustCreate(t, st, newRequest("view:V1"))

	clk.Set(epoch.Add(time.Minute))
	got, err := st.Update(ctx, r.ID, &store.Audit{Actor: "system", Action: "message", Outcome: "posted"},
		func(r *paperspacebot.Request) error {
			r.ApprovalChannelID = "C_APPROVALS"
			r.ApprovalTS = "1700000000.000100"
			return nil
		})
	if err != nil {
		t.Fatalf("Update: %v", err)
	}
	if got.Version != 2 || got.ApprovalTS != "1700000000.000100" || got.State != paperspacebot.StatePending {
		t.Errorf("Update returned version %d, ApprovalTS %q, state %s, want 2, 1700000000.000100, pending", got.Version, got.ApprovalTS, got.State)
	}
	if !got.UpdatedAt.Equal(epoch.Add(time.Minute)) {
		t.Errorf("UpdatedAt = %v, want %v", got.UpdatedAt, epoch.Add(time.Minute))
	}

	trail := mustAudit(t, st, r.ID)
	if len(trail) != 2 {
		t.Fatalf("audit rows = %d, want 2", len(trail))
	}
	want := paperspacebot.AuditEntry{
		ID: trail[1].ID, RequestID: r.ID, At: epoch.Add(time.Minute), Actor: "system", Action: "message",
		From: paperspacebot.StatePending, To: paperspacebot.StatePending, Outcome: "posted",
	}
	if got, want := asJSON(t, trail[1]), asJSON(t, want); got != want {
		t.Errorf("audit row = %s\nwant %s", got, want)
	}
}

func (s *suite) testUpdateAbort(t *testing.T) {
	clk := newClock(epoch)
	st := s.open(t, store.WithClock(clk.Now))
	ctx := context.Background()
	r := mustCreate(t, st, newRequest("view:V1"))

	// takeLease mimics a caller that takes over an attempt only when the
	// previous owner's lease has run out.
	errLeaseHeld := errors.New("lease held")
	takeLease := func(owner string) func(*paperspacebot.Request) error {
		return func(r *paperspacebot.Request) error {
			if r.Owner != "" && r.Owner != owner && clk.Now().Before(r.LeaseUntil) {
				return errLeaseHeld
			}
			r.Owner = owner
			r.LeaseUntil = clk.Now().Add(time.Minute)
			return nil
		}
	}

	if _, err := st.Update(ctx, r.ID, nil, takeLease("bot-a")); err != nil {
		t.Fatalf("Update by bot-a: %v", err)
	}
	if _, err := st.Update(ctx, r.ID, nil, takeLease("bot-b")); !errors.Is(err, errLeaseHeld) {
		t.Fatalf("Update by bot-b while held: error = %v, want the change's error", err)
	}
	if got := mustGet(t, st, r.ID); got.Owner != "bot-a" || got.Version != 2 {
		t.Errorf("after aborted update: owner %s, version %d, want bot-a, 2", got.Owner, got.Version)
	}

	clk.Set(epoch.Add(2 * time.Minute))
	got, err := st.Update(ctx, r.ID, nil, takeLease("bot-b"))
	if err != nil {
		t.Fatalf("Update by bot-b after expiry: %v", err)
	}
	if got.Owner != "bot-b" || got.Version != 3 {
		t.Errorf("after lease expiry: owner %s, version %d, want bot-b, 3", got.Owner, got.Version)
	}
}

func (s *suite) testListFilter(t *testing.T) {
	clk := newClock(epoch)
	st := s.open(t, store.WithClock(clk.Now))
	ctx := context.Background()

	// Four requests, created one second apart in key order.
	at := func(seconds int) time.Time { return epoch.Add(time.Duration(seconds) * time.Second) }
	seed := []struct {
		key       string
		requester string
		state     paperspacebot.State
		lease     time.Time
		expires   time.Time
	}{
		{"a", "U1", paperspacebot.StatePending, time.Time{}, at(100)},
		{"b", "U2", paperspacebot.StateCreating, at(50), time.Time{}},
		{"c", "U1", paperspacebot.StateCreating, at(200), time.Time{}},
		{"d", "U2", paperspacebot.StatePending, time.Time{}, at(300)},
	}
	// They are inserted in reverse, with CreatedAt set by the caller, so
	// that insertion order and CreatedAt order differ.
	for i := len(seed) - 1; i >= 0; i-- {
		sd := seed[i]
		r := newRequest(sd.key)
		r.CreatedAt = at(i)
		r.RequesterID = sd.requester
		r.State = sd.state
		r.LeaseUntil = sd.lease
		r.ExpiresAt = sd.expires
		mustCreate(t, st, r)
	}

	tests := []struct {
		name string
		f    store.Filter
		want []string
	}{
		{"everything", store.Filter{}, []string{"a", "b", "c", "d"}},
		{"one state", store.Filter{States: []paperspacebot.State{paperspacebot.StateCreating}}, []string{"b", "c"}},
		{"two states", store.Filter{States: []paperspacebot.State{paperspacebot.StateCreating, paperspacebot.StatePending}}, []string{"a", "b", "c", "d"}},
		{"no match", store.Filter{States: []paperspacebot.State{paperspacebot.StateReady}}, []string{}},
		{"lease before", store.Filter{LeaseBefore: at(100)}, []string{"b"}},
		{"lease before all", store.Filter{LeaseBefore: at(1000)}, []string{"b", "c"}},
		{"lease bound excluded", store.Filter{LeaseBefore: at(50)}, []string{}},
		{"lease bound sub-second", store.Filter{LeaseBefore: at(50).Add(time.Millisecond)}, []string{"b"}},
		{"expires before", store.Filter{ExpiresBefore: at(200)}, []string{"a"}},
		{"expires and state", store.Filter{ExpiresBefore: at(1000), States: []paperspacebot.State{paperspacebot.StatePending}}, []string{"a", "d"}},
		{"requester", store.Filter{RequesterID: "U2"}, []string{"b", "d"}},
		{"requester and state", store.Filter{RequesterID: "U1", States: []paperspacebot.State{paperspacebot.StateCreating}}, []string{"c"}},
		{"limit", store.Filter{Limit: 2}, []string{"a", "b"}},
		{"limit with state", store.Filter{Limit: 1, States: []paperspacebot.State{paperspacebot.StatePending}}, []string{"a"}},
		{"lease in other zone", store.Filter{LeaseBefore: at(100).In(time.FixedZone("UTC-5", -5*3600))}, []string{"b"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			list, err := st.ListRequests(ctx, tt.f)
			if err != nil {
				t.Fatalf("ListRequests: %v", err)
			}
			got := []string{}
			for _, r := range list {
				got = append(got, r.Key)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("ListRequests(%+v) keys = %v, want %v", tt.f, got, tt.want)
			}
		})
	}

	if _, err := st.ListRequests(ctx, store.Filter{Limit: -1}); err == nil {
		t.Error("ListRequests(Limit -1) error = nil, want an error")
	}
}

func (s *suite) testClaimEnvelope(t *testing.T) {
	st := s.open(t)
	ctx := context.Background()

	steps := []struct {
		envelope, owner string
		want            bool
	}{
		{"env-1", "bot-a", true},
		{"env-1", "bot-a", false},
		{"env-1", "bot-b", false},
		{"env-2", "bot-b", true},
	}
	for i, step := range steps {
		got, err := st.ClaimEnvelope(ctx, step.envelope, step.owner)
		if err != nil {
			t.Fatalf("step %d: ClaimEnvelope(%s, %s): %v", i, step.envelope, step.owner, err)
		}
		if got != step.want {
			t.Errorf("step %d: ClaimEnvelope(%s, %s) = %v, want %v", i, step.envelope, step.owner, got, step.want)
		}
	}

	if _, err := st.ClaimEnvelope(ctx, "", "bot-a"); err == nil {
		t.Error("ClaimEnvelope(empty id) error = nil, want an error")
	}
}

// raceClaims claims one envelope from racers goroutines spread over stores
// and returns how many claims succeeded.
func raceClaims(t *testing.T, envelopeID string, stores ...store.Store) int {
	t.Helper()
	ctx := context.Background()
	type result struct {
		won bool
		err error
	}
	results := make(chan result, racers)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range racers {
		st := stores[i%len(stores)]
		owner := fmt.Sprintf("bot-%02d", i)
		wg.Go(func() {
			<-start
			won, err := st.ClaimEnvelope(ctx, envelopeID, owner)
			results <- result{won, err}
		})
	}
	close(start)
	wg.Wait()
	close(results)

	wins := 0
	for res := range results {
		if res.err != nil {
			t.Errorf("ClaimEnvelope: %v", res.err)
		}
		if res.won {
			wins++
		}
	}
	return wins
}

func (s *suite) testClaimEnvelopeRace(t *testing.T) {
	st := s.open(t)
	if wins := raceClaims(t, "env-race", st); wins != 1 {
		t.Errorf("successful claims = %d, want 1", wins)
	}
}

func (s *suite) testClaimEnvelopeTwoStores(t *testing.T) {
	url := s.newDatabase(t)
	a := openURL(t, url)
	b := openURL(t, url)
	ctx := context.Background()

	won, err := a.ClaimEnvelope(ctx, "env-shared", "bot-a")
	if err != nil || !won {
		t.Fatalf("first store: ClaimEnvelope = %v, %v, want true, nil", won, err)
	}
	won, err = b.ClaimEnvelope(ctx, "env-shared", "bot-b")
	if err != nil || won {
		t.Errorf("second store: ClaimEnvelope = %v, %v, want false, nil", won, err)
	}

	if wins := raceClaims(t, "env-race-two-stores", a, b); wins != 1 {
		t.Errorf("successful claims across two stores = %d, want 1", wins)
	}
}

func (s *suite) testPruneEnvelopes(t *testing.T) {
	clk := newClock(epoch)
	st := s.open(t, store.WithClock(clk.Now))
	ctx := context.Background()

	for i, id := range []string{"env-0", "env-1", "env-2"} {
		clk.Set(epoch.Add(time.Duration(i) * time.Minute))
		if won, err := st.ClaimEnvelope(ctx, id, "bot-a"); err != nil || !won {
			t.Fatalf("ClaimEnvelope(%s) = %v, %v, want true, nil", id, won, err)
		}
	}

	steps := []struct {
		before time.Time
		want   int64
	}{
		{epoch, 0}, // strictly before: env-0 stays
		{epoch.Add(time.Minute + time.Millisecond), 2},   // env-0 and env-1
		{epoch.Add(time.Minute + time.Millisecond), 0},   // nothing left before it
		{epoch.Add(2*time.Minute + time.Microsecond), 1}, // env-2
	}
	for i, step := range steps {
		n, err := st.PruneEnvelopes(ctx, step.before)
		if err != nil {
			t.Fatalf("step %d: PruneEnvelopes: %v", i, err)
		}
		if n != step.want {
			t.Errorf("step %d: PruneEnvelopes(%v) = %d, want %d", i, step.before, n, step.want)
		}
	}

	// A pruned id can be claimed again.
	if won, err := st.ClaimEnvelope(ctx, "env-0", "bot-b"); err != nil || !won {
		t.Errorf("ClaimEnvelope(env-0) after prune = %v, %v, want true, nil", won, err)
	}
}

func (s *suite) testMigrateReopen(t *testing.T) {
	url := s.newDatabase(t)
	ctx := context.Background()

	first, err := store.Open(ctx, url)
	if err != nil {
		t.Fatalf("first Open: %v", err)
	}
	r := mustCreate(t, first, newRequest("view:V1"))
	if err := first.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}

	for i := range 2 {
		st, err := store.Open(ctx, url)
		if err != nil {
			t.Fatalf("Open %d: %v", i+2, err)
		}
		got, err := st.GetRequest(ctx, r.ID)
		if err != nil {
			t.Errorf("Open %d: GetRequest: %v", i+2, err)
		} else if got.Key != "view:V1" {
			t.Errorf("Open %d: Key = %q, want view:V1", i+2, got.Key)
		}
		if err := st.Ping(ctx); err != nil {
			t.Errorf("Open %d: Ping: %v", i+2, err)
		}
		if err := st.Close(); err != nil {
			t.Errorf("Open %d: Close: %v", i+2, err)
		}
	}
}

func (s *suite) testMigrateConcurrent(t *testing.T) {
	url := s.newDatabase(t)
	ctx := context.Background()

	const replicas = 2
	stores := make([]store.Store, replicas)
	errs := make([]error, replicas)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range replicas {
		wg.Go(func() {
			<-start
			stores[i], errs[i] = store.Open(ctx, url)
		})
	}
	close(start)
	wg.Wait()

	for i := range replicas {
		if errs[i] != nil {
			t.Errorf("Open %d: %v", i, errs[i])
			continue
		}
		t.Cleanup(func() { _ = stores[i].Close() })
	}
	if t.Failed() {
		return
	}

	r := mustCreate(t, stores[0], newRequest("view:V1"))
	if got := mustGet(t, stores[1], r.ID); got.Key != "view:V1" {
		t.Errorf("second replica: Key = %q, want view:V1", got.Key)
	}
}

func (s *suite) testTimesRoundTrip(t *testing.T) {
	zone := time.FixedZone("UTC+5:30", 5*3600+1800)
	// The clock is in another zone and has nanoseconds, which the store
	// truncates to microseconds.
	now := time.Date(2025, 6, 1, 12, 0, 0, 123456789, zone)
	clk := newClock(now)
	st := s.open(t, store.WithClock(clk.Now))
	ctx := context.Background()

	expires := time.Date(2025, 6, 2, 8, 30, 15, 987654321, zone)
	r := newRequest("view:T1")
	r.ExpiresAt = expires
	r.LeaseUntil = expires.Add(time.Hour)
	created := mustCreate(t, st, r)
	got := mustGet(t, st, created.ID)

	want := func(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }
	tests := []struct {
		name      string
		got, want time.Time
	}{
		{"CreatedAt", got.CreatedAt, want(now)},
		{"UpdatedAt", got.UpdatedAt, want(now)},
		{"ExpiresAt", got.ExpiresAt, want(expires)},
		{"LeaseUntil", got.LeaseUntil, want(expires.Add(time.Hour))},
		{"DecidedAt", got.DecidedAt, time.Time{}},
	}
	trail := mustAudit(t, st, created.ID)
	if len(trail) == 1 {
		tests = append(tests, struct {
			name      string
			got, want time.Time
		}{"audit At", trail[0].At, want(now)})
	} else {
		t.Errorf("audit rows = %d, want 1", len(trail))
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !tt.got.Equal(tt.want) {
				t.Errorf("got %v, want %v", tt.got, tt.want)
			}
			if tt.got.Location() != time.UTC {
				t.Errorf("location = %v, want UTC", tt.got.Location())
			}
			if !tt.want.IsZero() && tt.got.Nanosecond() == 0 {
				t.Errorf("got %v with no fraction, want sub-second precision", tt.got)
			}
		})
	}

	// The sub-second part takes part in comparisons: a bound 1µs after the
	// expiry selects the request, and a bound at the expiry does not.
	for _, c := range []struct {
		before time.Time
		want   int
	}{
		{want(expires), 0},
		{want(expires).Add(time.Microsecond), 1},
	} {
		list, err := st.ListRequests(ctx, store.Filter{ExpiresBefore: c.before})
		if err != nil {
			t.Fatalf("ListRequests: %v", err)
		}
		if len(list) != c.want {
			t.Errorf("ListRequests(ExpiresBefore %v) = %d requests, want %d", c.before, len(list), c.want)
		}
	}
}
