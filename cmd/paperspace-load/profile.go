package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"runtime/pprof"
	"time"
)

// profileClient talks to the profiling hook of a profiling build.
type profileClient struct {
	baseURL string
	http    *http.Client
}

func newProfileClient(addr string) *profileClient {
	return &profileClient{baseURL: "http://" + addr, http: &http.Client{Timeout: time.Minute}}
}

// startCPU starts the bot's CPU profile.
func (p *profileClient) startCPU(ctx context.Context) error {
	_, err := p.fetch(ctx, http.MethodPost, "/cpu/start")
	return err
}

// saveAll stops the CPU profile and writes it, with the heap, allocation,
// mutex and goroutine profiles, to dir.
func (p *profileClient) saveAll(ctx context.Context, dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("create profile folder: %w", err)
	}
	profiles := []struct {
		method, path, file string
	}{
		{http.MethodPost, "/cpu/stop", "cpu.pprof"},
		{http.MethodGet, "/debug/pprof/allocs", "allocs.pprof"},
		{http.MethodGet, "/debug/pprof/heap", "heap.pprof"},
		{http.MethodGet, "/debug/pprof/mutex", "mutex.pprof"},
		{http.MethodGet, "/debug/pprof/goroutine?debug=1", "goroutines.txt"},
	}
	for _, profile := range profiles {
		data, err := p.fetch(ctx, profile.method, profile.path)
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dir, profile.file), data, 0o644); err != nil {
			return fmt.Errorf("write profile: %w", err)
		}
	}
	return nil
}

func (p *profileClient) fetch(ctx context.Context, method, path string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, method, p.baseURL+path, nil)
	if err != nil {
		return nil, fmt.Errorf("profiling hook %s: %w", path, err)
	}
	resp, err := p.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("profiling hook %s: %w", path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("profiling hook %s: %w", path, err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("profiling hook %s: status %s: %s", path, resp.Status, data)
	}
	return data, nil
}

// driverCPUProfile is a CPU profile of the driver itself, whose fakes
// share the machine's CPUs with the bot.
type driverCPUProfile struct {
	buf bytes.Buffer
}

func startDriverCPUProfile() (*driverCPUProfile, error) {
	p := &driverCPUProfile{}
	if err := pprof.StartCPUProfile(&p.buf); err != nil {
		return nil, fmt.Errorf("start the driver's CPU profile: %w", err)
	}
	return p, nil
}

// save stops the profile and writes it to path.
func (p *driverCPUProfile) save(path string) error {
	pprof.StopCPUProfile()
	if err := os.WriteFile(path, p.buf.Bytes(), 0o644); err != nil {
		return fmt.Errorf("write the driver's CPU profile: %w", err)
	}
	return nil
}
