package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// botPackage is the import path of the bot's main package.
const botPackage = "github.com/paperspace-bot/paperspace-bot/cmd/paperspace-bot"

// profileHookFile is the file name under which a profiling build adds
// profileHookSource to the bot's main package, through go build -overlay.
// The checkout never contains it.
const profileHookFile = "zz_paperspace_load_profile.go"

// profileHookEnv is the environment variable that turns the hook on in the
// child; the hook then serves on the listener it inherits as descriptor 3.
const profileHookEnv = "PAPERSPACE_LOAD_PROFILE"

// profileHookSource is added to the bot's main package in a profiling
// build. It serves net/http/pprof, plus POST /cpu/start and POST /cpu/stop
// to profile exactly the load phase, on the listener that the driver
// opened on 127.0.0.1 and passed as file descriptor 3.
const profileHookSource = `package main

import (
	"bytes"
	"fmt"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"runtime"
	runtimepprof "runtime/pprof"
	"sync"
)

func init() {
	if os.Getenv("` + profileHookEnv + `") != "1" {
		return
	}
	listener, err := net.FileListener(os.NewFile(3, "profile listener"))
	if err != nil {
		fmt.Fprintln(os.Stderr, "profile hook: no listener on descriptor 3:", err)
		return
	}
	runtime.SetMutexProfileFraction(10)

	var mu sync.Mutex
	var cpu *bytes.Buffer
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("POST /cpu/start", func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		if cpu != nil {
			http.Error(w, "CPU profile already running", http.StatusConflict)
			return
		}
		cpu = new(bytes.Buffer)
		if err := runtimepprof.StartCPUProfile(cpu); err != nil {
			cpu = nil
			http.Error(w, err.Error(), http.StatusInternalServerError)
		}
	})
	mux.HandleFunc("POST /cpu/stop", func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		if cpu == nil {
			http.Error(w, "no CPU profile running", http.StatusConflict)
			return
		}
		runtimepprof.StopCPUProfile()
		_, _ = w.Write(cpu.Bytes())
		cpu = nil
	})
	go func() { _ = http.Serve(listener, mux) }()
}
`

// buildBot builds the bot into dir as the Dockerfile does (CGO_ENABLED=0,
// -trimpath, -ldflags=-s -w) and without the race detector, and returns
// the binary's path. The build flags matter here: a dynamically linked
// binary maps the C library too, which adds to its resident memory. With
// profiling set, it adds the profiling hook to the build. It runs go build
// in the working folder, which must be inside the paperspace-bot module.
func buildBot(ctx context.Context, dir string, profiling bool) (string, error) {
	name := "paperspace-bot"
	if profiling {
		name = "paperspace-bot-profiling"
	}
	binary := filepath.Join(dir, name)
	args := []string{"build", "-trimpath", "-ldflags=-s -w", "-o", binary}
	if profiling {
		overlay, err := writeProfileOverlay(ctx, dir)
		if err != nil {
			return "", err
		}
		args = append(args, "-overlay", overlay)
	}
	args = append(args, botPackage)

	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Env = append(withoutRaceFlag(os.Environ()), "CGO_ENABLED=0")
	var output strings.Builder
	cmd.Stdout, cmd.Stderr = &output, &output
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("go %s: %w\n%s(run the driver from the paperspace-bot checkout, or pass -bin)", strings.Join(args, " "), err, output.String())
	}
	return binary, nil
}

// writeProfileOverlay writes the profiling hook and a go build -overlay
// file that adds it to the bot's main package, and returns the overlay
// file's path.
func writeProfileOverlay(ctx context.Context, dir string) (string, error) {
	list := exec.CommandContext(ctx, "go", "list", "-f", "{{.Dir}}", botPackage)
	out, err := list.Output()
	if err != nil {
		return "", fmt.Errorf("find the bot's package folder with go list: %w (run the driver from the paperspace-bot checkout)", err)
	}
	packageDir := strings.TrimSpace(string(out))

	hook := filepath.Join(dir, profileHookFile)
	if err := os.WriteFile(hook, []byte(profileHookSource), 0o600); err != nil {
		return "", fmt.Errorf("write profiling hook: %w", err)
	}
	overlay, err := json.Marshal(map[string]any{
		"Replace": map[string]string{filepath.Join(packageDir, profileHookFile): hook},
	})
	if err != nil {
		return "", fmt.Errorf("encode overlay: %w", err)
	}
	path := filepath.Join(dir, "profile-overlay.json")
	if err := os.WriteFile(path, overlay, 0o600); err != nil {
		return "", fmt.Errorf("write overlay: %w", err)
	}
	return path, nil
}

// withoutRaceFlag returns env with -race removed from GOFLAGS: the race
// detector slows the bot down several times over, so a GOFLAGS=-race from
// the caller's environment must not apply to the measured binary.
func withoutRaceFlag(env []string) []string {
	out := make([]string, 0, len(env))
	for _, entry := range env {
		value, ok := strings.CutPrefix(entry, "GOFLAGS=")
		if !ok {
			out = append(out, entry)
			continue
		}
		var flags []string
		for _, flag := range strings.Fields(value) {
			if flag != "-race" && flag != "--race" && flag != "-race=true" {
				flags = append(flags, flag)
			}
		}
		out = append(out, "GOFLAGS="+strings.Join(flags, " "))
	}
	return out
}
