package fakecoreapi

import (
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/paperspace-bot/paperspace-bot/paperspace"
)

// The list endpoints filter on the query parameters that the Core API
// documents for them. Each value must equal the field's text as the API
// sends it, and a null field matches only an empty value. An unknown
// parameter, such as "id" in place of "machineId", gets 400, so that a
// client that misspells a filter fails here.
// NOTE: whether the real Core API rejects or ignores unknown parameters is
// not known.

var templateFields = map[string]func(paperspace.Template) string{
	"id":        func(t paperspace.Template) string { return t.ID },
	"name":      func(t paperspace.Template) string { return t.Name },
	"label":     func(t paperspace.Template) string { return t.Label },
	"os":        func(t paperspace.Template) string { return t.OS },
	"dtCreated": func(t paperspace.Template) string { return timeText(t.DtCreated) },
	"teamId":    func(t paperspace.Template) string { return t.TeamID },
	"userId":    func(t paperspace.Template) string { return t.UserID },
	"region":    func(t paperspace.Template) string { return t.Region },
}

var userFields = map[string]func(paperspace.User) string{
	"id":        func(u paperspace.User) string { return u.ID },
	"email":     func(u paperspace.User) string { return u.Email },
	"firstname": func(u paperspace.User) string { return u.Firstname },
	"lastname":  func(u paperspace.User) string { return u.Lastname },
	"dtCreated": func(u paperspace.User) string { return timeText(u.DtCreated) },
	"teamId":    func(u paperspace.User) string { return u.TeamID },
}

var networkFields = map[string]func(paperspace.Network) string{
	"id":        func(n paperspace.Network) string { return n.ID },
	"name":      func(n paperspace.Network) string { return n.Name },
	"region":    func(n paperspace.Network) string { return n.Region },
	"dtCreated": func(n paperspace.Network) string { return timeText(n.DtCreated) },
	"network":   func(n paperspace.Network) string { return n.Network },
	"netmask":   func(n paperspace.Network) string { return n.Netmask },
	"teamId":    func(n paperspace.Network) string { return n.TeamID },
}

var machineFields = map[string]func(paperspace.Machine) string{
	"machineId":              func(m paperspace.Machine) string { return m.ID },
	"name":                   func(m paperspace.Machine) string { return m.Name },
	"os":                     func(m paperspace.Machine) string { return m.OS },
	"ram":                    func(m paperspace.Machine) string { return bytesText(m.RAM) },
	"cpus":                   func(m paperspace.Machine) string { return strconv.Itoa(m.CPUs) },
	"gpu":                    func(m paperspace.Machine) string { return m.GPU },
	"storageTotal":           func(m paperspace.Machine) string { return bytesText(m.StorageTotal) },
	"storageUsed":            func(m paperspace.Machine) string { return bytesText(m.StorageUsed) },
	"usageRate":              func(m paperspace.Machine) string { return m.UsageRate },
	"shutdownTimeoutInHours": func(m paperspace.Machine) string { return strconv.Itoa(m.ShutdownTimeoutInHours) },
	"performAutoSnapshot":    func(m paperspace.Machine) string { return strconv.FormatBool(m.PerformAutoSnapshot) },
	"autoSnapshotFrequency":  func(m paperspace.Machine) string { return string(m.AutoSnapshotFrequency) },
	"autoSnapshotSaveCount":  func(m paperspace.Machine) string { return countText(m.AutoSnapshotSaveCount) },
	"agentType":              func(m paperspace.Machine) string { return m.AgentType },
	"dtCreated":              func(m paperspace.Machine) string { return timeText(m.DtCreated) },
	"state":                  func(m paperspace.Machine) string { return m.State },
	"updatesPending":         func(m paperspace.Machine) string { return strconv.FormatBool(m.UpdatesPending) },
	"networkId":              func(m paperspace.Machine) string { return m.NetworkID },
	"privateIpAddress":       func(m paperspace.Machine) string { return m.PrivateIPAddress },
	"publicIpAddress":        func(m paperspace.Machine) string { return m.PublicIPAddress },
	"region":                 func(m paperspace.Machine) string { return m.Region },
	"userId":                 func(m paperspace.Machine) string { return m.UserID },
	"teamId":                 func(m paperspace.Machine) string { return m.TeamID },
	"scriptId":               func(m paperspace.Machine) string { return m.ScriptID },
	"dtLastRun":              func(m paperspace.Machine) string { return timeText(m.DtLastRun) },
}

// filter returns the items whose fields equal every query parameter except
// those named in paging. It returns a message for an unknown parameter.
func filter[T any](items []T, query url.Values, fields map[string]func(T) string, paging ...string) ([]T, string) {
	for key := range query {
		if _, ok := fields[key]; !ok && !slices.Contains(paging, key) {
			names := append(slices.Collect(maps.Keys(fields)), paging...)
			sort.Strings(names)
			return nil, fmt.Sprintf("Unknown filter %q; the filters are %s", key, strings.Join(names, ", "))
		}
	}
	out := []T{}
	for _, item := range items {
		if matches(item, query, fields) {
			out = append(out, item)
		}
	}
	return out, ""
}

func matches[T any](item T, query url.Values, fields map[string]func(T) string) bool {
	for key, get := range fields {
		if values, ok := query[key]; ok && get(item) != values[0] {
			return false
		}
	}
	return true
}

func timeText(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return formatTime(t)
}

func (s *Server) getTemplates(r *http.Request) (int, any) {
	s.mu.Lock()
	templates, problem := filter(s.templates, r.URL.Query(), templateFields)
	s.mu.Unlock()
	if problem != "" {
		return http.StatusBadRequest, errorBody(http.StatusBadRequest, problem)
	}
	out := make([]any, 0, len(templates))
	for _, t := range templates {
		out = append(out, toWireTemplate(t))
	}
	return http.StatusOK, out
}

func (s *Server) getUsers(r *http.Request) (int, any) {
	s.mu.Lock()
	users, problem := filter(s.users, r.URL.Query(), userFields)
	s.mu.Unlock()
	if problem != "" {
		return http.StatusBadRequest, errorBody(http.StatusBadRequest, problem)
	}
	out := make([]wireUser, 0, len(users))
	for _, u := range users {
		out = append(out, toWireUser(u))
	}
	return http.StatusOK, out
}

func (s *Server) getNetworks(r *http.Request) (int, any) {
	s.mu.Lock()
	networks, problem := filter(s.networks, r.URL.Query(), networkFields)
	s.mu.Unlock()
	if problem != "" {
		return http.StatusBadRequest, errorBody(http.StatusBadRequest, problem)
	}
	out := make([]wireNetwork, 0, len(networks))
	for _, n := range networks {
		out = append(out, toWireNetwork(n))
	}
	return http.StatusOK, out
}

// defaultMachineLimit is the page size of getMachines without a limit, as
// the Core API documents it.
const defaultMachineLimit = 1000

// getMachines lists machines as they are stored, so a provisioning machine
// has an empty region and does not match a region filter.
func (s *Server) getMachines(r *http.Request) (int, any) {
	query := r.URL.Query()
	limit, skip := defaultMachineLimit, 0
	if text := query.Get("limit"); text != "" {
		n, err := strconv.Atoi(text)
		if err != nil || n < 1 {
			return http.StatusBadRequest, errorBody(http.StatusBadRequest, fmt.Sprintf("limit %q must be a positive integer", text))
		}
		limit = n
	}
	if text := query.Get("skip"); text != "" {
		n, err := strconv.Atoi(text)
		if err != nil || n < 0 {
			return http.StatusBadRequest, errorBody(http.StatusBadRequest, fmt.Sprintf("skip %q must be a non-negative integer", text))
		}
		skip = n
	}

	s.mu.Lock()
	stored := make([]paperspace.Machine, 0, len(s.machines))
	for _, record := range s.machines {
		stored = append(stored, record.machine)
	}
	machines, problem := filter(stored, query, machineFields, "limit", "skip")
	s.mu.Unlock()
	if problem != "" {
		return http.StatusBadRequest, errorBody(http.StatusBadRequest, problem)
	}

	machines = machines[min(skip, len(machines)):]
	machines = machines[:min(limit, len(machines))]
	out := make([]wireMachine, 0, len(machines))
	for _, m := range machines {
		out = append(out, toWireMachine(m, false))
	}
	return http.StatusOK, out
}

func bytesText(b paperspace.ByteCount) string {
	if b == 0 {
		return ""
	}
	return strconv.FormatInt(int64(b), 10)
}

func countText(n int) string {
	if n == 0 {
		return ""
	}
	return strconv.Itoa(n)
}
