//go:build unix

package store_test

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/paperspace-bot/paperspace-bot/store"
)

// readOnlyChildEnv names the database file that TestOpenReadOnlyChild opens.
const readOnlyChildEnv = "STORE_TEST_READ_ONLY_DB"

// openResultPrefix starts the line on which the child prints Open's result.
const openResultPrefix = "open result: "

// nobodyID is the user and group id of the user nobody on Debian. The child
// runs as nobody when the tests run as root, because root writes files
// whatever their permission bits.
const nobodyID = 65534

func TestOpenReadOnlySQLite(t *testing.T) {
	tests := []struct {
		name     string
		dirMode  os.FileMode
		fileMode os.FileMode // 0 means no file yet
		want     string      // %[1]s is the folder, %[2]s the file
	}{
		{"read-only file", 0o777, 0o444, "open store: database file %[2]s is read-only: "},
		{"read-only folder and file", 0o555, 0o444, "open store: database file %[2]s is read-only: "},
		{"read-only folder, writable file", 0o555, 0o666, "open store: database file %[2]s is read-only: "},
		{"read-only folder, new file", 0o555, 0, "open store: folder %[1]s is read-only, so database file %[2]s cannot be created: "},
	}
	binary := copyTestBinaryIfRoot(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := worldReadableTempDir(t)
			path := filepath.Join(dir, "bot.db")
			if tt.fileMode != 0 {
				createDatabase(t, path)
				chmod(t, path, tt.fileMode)
			}
			chmod(t, dir, tt.dirMode)
			t.Cleanup(func() { _ = os.Chmod(dir, 0o755) })

			got := openUnprivileged(t, binary, path)
			want := fmt.Sprintf(tt.want, dir, path)
			if !strings.HasPrefix(got, want) {
				t.Errorf("Open error = %q, want it to start with %q", got, want)
			}
			if !strings.Contains(got, "-wal and -shm") {
				t.Errorf("Open error = %q, want the hint about the -wal and -shm files", got)
			}
		})
	}
}

// TestOpenReadOnlyChild runs only as the child process of
// TestOpenReadOnlySQLite. It opens the file named by readOnlyChildEnv and
// prints the result.
func TestOpenReadOnlyChild(t *testing.T) {
	path := os.Getenv(readOnlyChildEnv)
	if path == "" {
		t.Skip("runs only as the child of TestOpenReadOnlySQLite")
	}
	fmt.Println(openResultPrefix + openResult(path))
}

// openResult opens a Store at path and returns the error text, or "ok".
func openResult(path string) string {
	st, err := store.Open(context.Background(), path)
	if err != nil {
		return err.Error()
	}
	_ = st.Close()
	return "ok"
}

// copyTestBinaryIfRoot returns the path of a copy of the test binary that
// the user nobody can run, or "" when the tests do not run as root.
func copyTestBinaryIfRoot(t *testing.T) string {
	t.Helper()
	if os.Geteuid() != 0 {
		return ""
	}

	self, err := os.Executable()
	if err != nil {
		t.Fatalf("find the test binary: %v", err)
	}
	binary := filepath.Join(worldReadableTempDir(t), "store.test")
	copyFile(t, self, binary, 0o755)
	return binary
}

// openUnprivileged returns openResult(path) as computed by a user without
// root's rights: this process when binary is "", else binary run as the
// user nobody.
func openUnprivileged(t *testing.T, binary, path string) string {
	t.Helper()
	if binary == "" {
		return openResult(path)
	}

	cmd := exec.Command(binary, "-test.run=^TestOpenReadOnlyChild$", "-test.count=1")
	cmd.Dir = filepath.Dir(binary)
	// A race-enabled binary waits 1s at exit unless atexit_sleep_ms is 0.
	cmd.Env = append(os.Environ(), readOnlyChildEnv+"="+path, "GORACE=atexit_sleep_ms=0")
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: nobodyID, Gid: nobodyID}}
	out, err := cmd.CombinedOutput()
	if errors.Is(err, syscall.EPERM) {
		t.Skipf("cannot run the test binary as user %d: %v", nobodyID, err)
	}
	if err != nil {
		t.Fatalf("run the test binary as user %d: %v\n%s", nobodyID, err, out)
	}

	scanner := bufio.NewScanner(bytes.NewReader(out))
	for scanner.Scan() {
		if result, ok := strings.CutPrefix(scanner.Text(), openResultPrefix); ok {
			return result
		}
	}
	t.Fatalf("child printed no line starting with %q:\n%s", openResultPrefix, out)
	return ""
}

// worldReadableTempDir returns a new temporary folder that every user may
// enter, which t.TempDir's folders are not.
func worldReadableTempDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	chmod(t, filepath.Dir(dir), 0o755)
	chmod(t, dir, 0o755)
	return dir
}

// createDatabase creates a migrated database at path.
func createDatabase(t *testing.T, path string) {
	t.Helper()
	st, err := store.Open(context.Background(), path)
	if err != nil {
		t.Fatalf("create database: %v", err)
	}
	if err := st.Close(); err != nil {
		t.Fatalf("close database: %v", err)
	}
}

func chmod(t *testing.T, path string, mode os.FileMode) {
	t.Helper()
	if err := os.Chmod(path, mode); err != nil {
		t.Fatal(err)
	}
}

func copyFile(t *testing.T, from, to string, mode os.FileMode) {
	t.Helper()
	data, err := os.ReadFile(from)
	if err != nil {
		t.Fatalf("read %s: %v", from, err)
	}
	if err := os.WriteFile(to, data, mode); err != nil {
		t.Fatalf("write %s: %v", to, err)
	}
}
