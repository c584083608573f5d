package handlers

import (
	"context"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"

	"github.com/paperspace-bot/paperspace-bot/paperspace"
)

// Catalog keeps the team's templates, users and networks, and recent
// availability results, in memory, refreshed in the background. Menus and
// validation read it without calling the Core API, so nothing waits on the
// Core API before Slack's acknowledgement.
type Catalog struct {
	core *paperspace.Client
	log  zerolog.Logger
	now  func() time.Time
	// refreshEvery is how often the lists are fetched again; maxAge is when
	// a list is too old to trust for validation.
	refreshEvery time.Duration
	maxAge       time.Duration

	templates atomic.Pointer[templateList]
	users     atomic.Pointer[userList]
	networks  atomic.Pointer[[]paperspace.Network]

	refreshing atomic.Bool

	mu           sync.Mutex
	availability map[string]availabilityAnswer
	prefetching  bool
	// prefetchedAt is when the latest prefetch of availability finished.
	prefetchedAt time.Time
}

type templateList struct {
	items  []paperspace.Template
	search []searchable
	byID   map[string]int
	at     time.Time
}

type userList struct {
	items   []paperspace.User
	search  []searchable
	byEmail map[string]int
	at      time.Time
}

type availabilityAnswer struct {
	available bool
	at        time.Time
}

// availabilityTTL is how long an availability result is reused, because
// the Core API reports availability at one point in time.
const availabilityTTL = 2 * time.Minute

// CatalogConfig configures a Catalog.
type CatalogConfig struct {
	Core *paperspace.Client
	Log  zerolog.Logger
	Now  func() time.Time
	// RefreshEvery defaults to 2 minutes.
	RefreshEvery time.Duration
}

// NewCatalog returns an empty Catalog; Refresh or Run fills it.
func NewCatalog(cfg CatalogConfig) *Catalog {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.RefreshEvery <= 0 {
		cfg.RefreshEvery = 2 * time.Minute
	}
	return &Catalog{
		core:         cfg.Core,
		log:          cfg.Log,
		now:          cfg.Now,
		refreshEvery: cfg.RefreshEvery,
		maxAge:       5 * cfg.RefreshEvery / 2,
		availability: make(map[string]availabilityAnswer),
	}
}

// SetTemplates replaces the template list, for example with the one the
// start-up check fetched.
func (c *Catalog) SetTemplates(templates []paperspace.Template) {
	list := &templateList{items: templates, byID: make(map[string]int, len(templates)), at: c.now()}
	list.search = make([]searchable, len(templates))
	for i, t := range templates {
		list.search[i] = templateSearchable(t)
		list.byID[t.ID] = i
	}
	c.templates.Store(list)
}

func (c *Catalog) setUsers(users []paperspace.User) {
	list := &userList{items: users, byEmail: make(map[string]int, len(users)), at: c.now()}
	list.search = make([]searchable, len(users))
	for i, u := range users {
		list.search[i] = userSearchable(u)
		list.byEmail[strings.ToLower(strings.TrimSpace(u.Email))] = i
	}
	c.users.Store(list)
}

// Run refreshes the lists every RefreshEvery until ctx is done.
func (c *Catalog) Run(ctx context.Context) {
	ticker := time.NewTicker(c.refreshEvery)
	defer ticker.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
			c.Refresh(ctx)
		}
	}
}

// Refresh fetches the templates, users and networks once; a list that
// fails to load keeps its previous content.
func (c *Catalog) Refresh(ctx context.Context) {
	if !c.refreshing.CompareAndSwap(false, true) {
		return
	}
	defer c.refreshing.Store(false)
	// The template list that the start-up check fetched moments ago is not
	// fetched again: a second copy in memory would double the start's peak.
	if list := c.templates.Load(); list == nil || c.now().Sub(list.at) >= c.refreshEvery/2 {
		if templates, err := c.core.ListTemplates(ctx, paperspace.TemplateFilter{}); err != nil {
			c.log.Warn().Err(err).Msg("refresh templates")
		} else {
			c.SetTemplates(templates)
		}
	}
	if users, err := c.core.ListUsers(ctx, paperspace.UserFilter{}); err != nil {
		c.log.Warn().Err(err).Msg("refresh team users")
	} else {
		c.setUsers(users)
	}
	if networks, err := c.core.ListNetworks(ctx, paperspace.NetworkFilter{}); err != nil {
		c.log.Warn().Err(err).Msg("refresh networks")
	} else {
		c.networks.Store(&networks)
	}
}

// refreshIfStale starts a background refresh when a list is missing or
// older than the refresh interval.
func (c *Catalog) refreshIfStale() {
	now := c.now()
	t, u := c.templates.Load(), c.users.Load()
	if t != nil && u != nil && now.Sub(t.at) < c.refreshEvery && now.Sub(u.at) < c.refreshEvery {
		return
	}
	go c.Refresh(context.Background())
}

// SearchTemplates returns the templates matching query on label, OS and
// id, best first, at most MaxOptions, and the number that matched.
func (c *Catalog) SearchTemplates(query string) ([]paperspace.Template, int) {
	c.refreshIfStale()
	list := c.templates.Load()
	if list == nil {
		return nil, 0
	}
	indexes, total := rank(list.search, query, MaxOptions)
	out := make([]paperspace.Template, len(indexes))
	for i, index := range indexes {
		out[i] = list.items[index]
	}
	return out, total
}

// SearchUsers returns the team users matching query on name, email and
// id, best first, at most MaxOptions, and the number that matched.
func (c *Catalog) SearchUsers(query string) ([]paperspace.User, int) {
	c.refreshIfStale()
	list := c.users.Load()
	if list == nil {
		return nil, 0
	}
	indexes, total := rank(list.search, query, MaxOptions)
	out := make([]paperspace.User, len(indexes))
	for i, index := range indexes {
		out[i] = list.items[index]
	}
	return out, total
}

// Template returns the template with id. loaded is false when the list
// has not been fetched, so the id cannot be checked.
func (c *Catalog) Template(id string) (t paperspace.Template, found, loaded bool) {
	list := c.templates.Load()
	if list == nil || len(list.items) == 0 {
		return paperspace.Template{}, false, false
	}
	i, ok := list.byID[id]
	if !ok {
		return paperspace.Template{}, false, true
	}
	return list.items[i], true, true
}

// User returns the cached team user with id.
func (c *Catalog) User(id string) (paperspace.User, bool) {
	list := c.users.Load()
	if list == nil {
		return paperspace.User{}, false
	}
	for _, u := range list.items {
		if u.ID == id {
			return u, true
		}
	}
	return paperspace.User{}, false
}

// UserWithEmail returns the cached team user with email, without calling
// the Core API.
func (c *Catalog) UserWithEmail(email string) (paperspace.User, bool) {
	key := strings.ToLower(strings.TrimSpace(email))
	list := c.users.Load()
	if key == "" || list == nil {
		return paperspace.User{}, false
	}
	i, ok := list.byEmail[key]
	if !ok {
		return paperspace.User{}, false
	}
	return list.items[i], true
}

// UserByEmail finds the team user with email, asking the Core API when the
// cached list does not have it.
func (c *Catalog) UserByEmail(ctx context.Context, email string) (paperspace.User, bool, error) {
	key := strings.ToLower(strings.TrimSpace(email))
	if key == "" {
		return paperspace.User{}, false, nil
	}
	if u, ok := c.UserWithEmail(key); ok {
		return u, true, nil
	}
	users, err := c.core.ListUsers(ctx, paperspace.UserFilter{Email: email})
	if err != nil {
		return paperspace.User{}, false, err
	}
	for _, u := range users {
		if strings.EqualFold(strings.TrimSpace(u.Email), key) {
			return u, true, nil
		}
	}
	return paperspace.User{}, false, nil
}

// Networks returns the cached networks.
func (c *Catalog) Networks() []paperspace.Network {
	if list := c.networks.Load(); list != nil {
		return *list
	}
	return nil
}

func availabilityKey(region, machineType string) string { return region + "\x00" + machineType }

// Availability returns a recent availability result for machineType in
// region without calling the Core API. known is false when there is none.
func (c *Catalog) Availability(region, machineType string) (available, known bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	answer, ok := c.availability[availabilityKey(region, machineType)]
	if !ok || c.now().Sub(answer.at) >= availabilityTTL {
		return false, false
	}
	return answer.available, true
}

// CheckAvailability gets from the Core API whether machineType is
// available in region, and caches the result.
func (c *Catalog) CheckAvailability(ctx context.Context, region, machineType string) (bool, error) {
	available, err := c.core.GetAvailability(ctx, region, machineType)
	if err != nil {
		return false, err
	}
	c.mu.Lock()
	c.availability[availabilityKey(region, machineType)] = availabilityAnswer{available: available, at: c.now()}
	c.mu.Unlock()
	return available, nil
}

// PrefetchAvailability fetches, in the background, the availability of
// every GPU type in every region whose result is missing or old, so that a
// form submitted in the next minutes can be checked within its
// acknowledgement.
func (c *Catalog) PrefetchAvailability() {
	c.mu.Lock()
	// A prefetch that finished within half the results' lifetime leaves
	// them fresh, so a burst of commands starts no goroutines.
	if c.prefetching || c.now().Sub(c.prefetchedAt) < availabilityTTL/2 {
		c.mu.Unlock()
		return
	}
	c.prefetching = true
	c.mu.Unlock()
	go func() {
		defer func() {
			c.mu.Lock()
			c.prefetching = false
			c.prefetchedAt = c.now()
			c.mu.Unlock()
		}()
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		for _, region := range paperspace.Regions {
			for _, machineType := range paperspace.AvailabilityMachineTypes {
				if _, known := c.Availability(region, machineType); known {
					continue
				}
				if _, err := c.CheckAvailability(ctx, region, machineType); err != nil {
					c.log.Debug().Err(err).Str("region", region).Str("machine_type", machineType).Msg("prefetch availability")
				}
			}
		}
	}()
}
