package store_test

import (
	"context"
	"path/filepath"
	"strconv"
	"sync/atomic"
	"testing"

	paperspacebot "github.com/paperspace-bot/paperspace-bot"
	"github.com/paperspace-bot/paperspace-bot/store"
)

// openBenchStore opens a SQLite store in a new temporary folder, with the
// settings the bot uses: WAL, a busy timeout and synchronous=FULL, so every
// commit waits for the disk. The figures therefore depend on the disk under
// TMPDIR as much as on the code.
func openBenchStore(b *testing.B) store.Store {
	b.Helper()
	st, err := store.Open(context.Background(), filepath.Join(b.TempDir(), "bench.db"))
	if err != nil {
		b.Fatalf("open store: %v", err)
	}
	b.Cleanup(func() { _ = st.Close() })
	return st
}

// benchRequest returns a request as an admin's submission stores it.
func benchRequest(key string) *paperspacebot.Request {
	return &paperspacebot.Request{
		Key:   key,
		State: paperspacebot.StateCreating,
		Spec: paperspacebot.Spec{
			Name:          "gpu-" + key,
			Region:        "East Coast (NY2)",
			MachineType:   "P4000",
			TemplateID:    "t123abc",
			TemplateLabel: "Ubuntu 22.04",
			SizeGB:        100,
			AssigneeID:    "u123abc",
			PublicIP:      true,
		},
		RequesterID: "U_ADMIN",
		TeamID:      "T1",
		ChannelID:   "C1",
		ResponseURL: "https://hooks.slack.test/commands/1",
	}
}

var benchAudit = store.Audit{Actor: "U_ADMIN", Action: "bench", Outcome: "benchmark"}

// BenchmarkTransition measures one state move of a request, with its audit
// row: a read, a conditional update and an insert in one transaction. Each
// operation moves the request between creating and failed, the moves of a
// failed create and its retry.
func BenchmarkTransition(b *testing.B) {
	st := openBenchStore(b)
	ctx := context.Background()
	r, err := st.CreateRequest(ctx, benchRequest("transition"), benchAudit)
	if err != nil {
		b.Fatal(err)
	}
	states := [2]paperspacebot.State{paperspacebot.StateCreating, paperspacebot.StateFailed}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		from, to := states[i%2], states[(i+1)%2]
		i++
		if _, err := st.Transition(ctx, r.ID, []paperspacebot.State{from}, to, benchAudit, nil); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkTransitionParallel measures transitions of different requests
// from concurrent goroutines, as concurrent submissions make them. SQLite
// takes one writer at a time, so this shows how writes queue.
func BenchmarkTransitionParallel(b *testing.B) {
	st := openBenchStore(b)
	ctx := context.Background()
	var next atomic.Int64
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		r, err := st.CreateRequest(ctx, benchRequest("parallel-"+strconv.FormatInt(next.Add(1), 10)), benchAudit)
		if err != nil {
			b.Error(err)
			return
		}
		states := [2]paperspacebot.State{paperspacebot.StateCreating, paperspacebot.StateFailed}
		i := 0
		for pb.Next() {
			from, to := states[i%2], states[(i+1)%2]
			i++
			if _, err := st.Transition(ctx, r.ID, []paperspacebot.State{from}, to, benchAudit, nil); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// BenchmarkCreateRequest measures storing a new request with its audit row,
// which a submission does before the create call.
func BenchmarkCreateRequest(b *testing.B) {
	st := openBenchStore(b)
	ctx := context.Background()
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		i++
		if _, err := st.CreateRequest(ctx, benchRequest("create-"+strconv.Itoa(i)), benchAudit); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkClaimEnvelope measures claiming a new envelope id, which the bot
// does for each view submission and button click before acting on it.
func BenchmarkClaimEnvelope(b *testing.B) {
	st := openBenchStore(b)
	ctx := context.Background()
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		i++
		ok, err := st.ClaimEnvelope(ctx, "env-"+strconv.Itoa(i), "bench")
		if err != nil {
			b.Fatal(err)
		}
		if !ok {
			b.Fatalf("claim of new envelope %d refused", i)
		}
	}
}
