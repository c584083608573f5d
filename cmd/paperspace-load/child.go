package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"sort"
	"syscall"
	"time"
)

// botProcess is a running paperspace-bot child process.
type botProcess struct {
	cmd     *exec.Cmd
	logPath string
	logFile *os.File
	// exited is closed once the process has exited; err is then its exit
	// status from Wait.
	exited chan struct{}
	err    error
}

// startBot starts the bot binary in dir with exactly the environment env
// (plus PATH), writing its output to dir/bot.log. A non-nil
// profileListener is passed to the process as file descriptor 3, for the
// profiling hook of a profiling build.
func startBot(binary, dir string, env map[string]string, profileListener *net.TCPListener) (*botProcess, error) {
	logPath := dir + "/bot.log"
	logFile, err := os.Create(logPath)
	if err != nil {
		return nil, fmt.Errorf("create bot log: %w", err)
	}

	cmd := exec.Command(binary)
	cmd.Dir = dir
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + dir}
	keys := make([]string, 0, len(env))
	for key := range env {
		keys = append(keys, key)
	}
	sort.Strings(keys)
	for _, key := range keys {
		cmd.Env = append(cmd.Env, key+"="+env[key])
	}
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.SysProcAttr = childProcAttr()
	if profileListener != nil {
		file, err := profileListener.File()
		if err != nil {
			logFile.Close()
			return nil, fmt.Errorf("pass the profile listener to the bot: %w", err)
		}
		defer file.Close()
		cmd.ExtraFiles = []*os.File{file}
	}

	if err := cmd.Start(); err != nil {
		logFile.Close()
		return nil, fmt.Errorf("start bot %s: %w", binary, err)
	}
	p := &botProcess{cmd: cmd, logPath: logPath, logFile: logFile, exited: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		close(p.exited)
	}()
	return p, nil
}

func (p *botProcess) pid() int { return p.cmd.Process.Pid }

// running reports whether the process has not exited yet.
func (p *botProcess) running() bool {
	select {
	case <-p.exited:
		return false
	default:
		return true
	}
}

// stop sends the bot SIGTERM, which makes it finish the work in flight, and
// kills it when it has not exited after grace. It returns the exit status,
// nil for a clean exit.
func (p *botProcess) stop(grace time.Duration) error {
	defer p.logFile.Close()
	if p.running() {
		_ = p.cmd.Process.Signal(syscall.SIGTERM)
	}
	timer := time.NewTimer(grace)
	defer timer.Stop()
	select {
	case <-p.exited:
		return p.err
	case <-timer.C:
	}
	_ = p.cmd.Process.Kill()
	<-p.exited
	return fmt.Errorf("bot still running %s after SIGTERM, killed: %w", grace, p.err)
}

// kill ends the process at once, for error paths.
func (p *botProcess) kill() {
	if p.running() {
		_ = p.cmd.Process.Kill()
	}
	<-p.exited
	p.logFile.Close()
}

// waitReady waits until ready returns true, polling every 10ms, and fails
// when the bot exits or ctx ends first.
func (p *botProcess) waitReady(ctx context.Context, ready func() bool) error {
	ticker := time.NewTicker(10 * time.Millisecond)
	defer ticker.Stop()
	for !ready() {
		select {
		case <-p.exited:
			return fmt.Errorf("bot exited before it was ready (%v); see its log %s", p.err, p.logPath)
		case <-ctx.Done():
			return fmt.Errorf("bot not ready: %w; see its log %s", ctx.Err(), p.logPath)
		case <-ticker.C:
		}
	}
	return nil
}

// exitCode returns the exit code from a stop error, or -1 when the
// process did not exit on its own.
func exitCode(err error) int {
	if err == nil {
		return 0
	}
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		return exit.ExitCode()
	}
	return -1
}
