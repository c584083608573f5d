package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// userHZ is the unit of the CPU times in /proc/<pid>/stat: the kernel
// reports them in clock ticks of 1/USER_HZ seconds, and USER_HZ is 100 on
// Linux for x86, arm and most other architectures (proc(5)).
const userHZ = 100

// memoryUsage is a process's resident memory, from /proc/<pid>/status.
type memoryUsage struct {
	// PeakRSS is VmHWM, the peak resident set size, in bytes.
	PeakRSS int64
	// RSS is VmRSS, the resident set size now, in bytes.
	RSS int64
	// AnonRSS and FileRSS split RSS into anonymous memory (heap, stacks)
	// and mapped files (the binary's code and data). They are 0 on
	// kernels before Linux 4.5, which do not report them.
	AnonRSS int64
	FileRSS int64
}

// readMemoryUsage reads the memory usage of process pid.
func readMemoryUsage(pid int) (memoryUsage, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return memoryUsage{}, fmt.Errorf("read memory usage of process %d: %w", pid, err)
	}
	usage, err := parseProcStatus(data)
	if err != nil {
		return memoryUsage{}, fmt.Errorf("read memory usage of process %d: %w", pid, err)
	}
	return usage, nil
}

// parseProcStatus reads VmHWM, VmRSS, RssAnon and RssFile from the text of
// /proc/<pid>/status, whose lines look like "VmHWM:\t   18432 kB".
func parseProcStatus(data []byte) (memoryUsage, error) {
	var usage memoryUsage
	fields := map[string]*int64{
		"VmHWM":   &usage.PeakRSS,
		"VmRSS":   &usage.RSS,
		"RssAnon": &usage.AnonRSS,
		"RssFile": &usage.FileRSS,
	}
	found := map[string]bool{}
	scanner := bufio.NewScanner(bytes.NewReader(data))
	for scanner.Scan() {
		name, value, ok := strings.Cut(scanner.Text(), ":")
		field, known := fields[name]
		if !ok || !known {
			continue
		}
		size, err := parseKilobytes(value)
		if err != nil {
			return memoryUsage{}, fmt.Errorf("invalid %s line %q: %w", name, scanner.Text(), err)
		}
		*field = size
		found[name] = true
	}
	if err := scanner.Err(); err != nil {
		return memoryUsage{}, err
	}
	if !found["VmHWM"] || !found["VmRSS"] {
		return memoryUsage{}, errors.New("VmHWM or VmRSS missing from the process status")
	}
	return usage, nil
}

// parseKilobytes parses a value such as "   18432 kB" into bytes.
func parseKilobytes(value string) (int64, error) {
	number, ok := strings.CutSuffix(strings.TrimSpace(value), " kB")
	if !ok {
		return 0, errors.New("the value does not end in kB")
	}
	kilobytes, err := strconv.ParseInt(strings.TrimSpace(number), 10, 64)
	if err != nil {
		return 0, err
	}
	return kilobytes * 1024, nil
}

// readCPUTime reads the CPU time, user and system, that process pid has used.
func readCPUTime(pid int) (time.Duration, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, fmt.Errorf("read CPU time of process %d: %w", pid, err)
	}
	cpu, err := parseProcStat(data)
	if err != nil {
		return 0, fmt.Errorf("read CPU time of process %d: %w", pid, err)
	}
	return cpu, nil
}

// parseProcStat returns utime plus stime, fields 14 and 15 of the text of
// /proc/<pid>/stat. Field 2, the command name in parentheses, may contain
// spaces and parentheses, so the fields are counted from the last ")".
func parseProcStat(data []byte) (time.Duration, error) {
	text := string(data)
	end := strings.LastIndexByte(text, ')')
	if end < 0 {
		return 0, errors.New("no command name in the process stat")
	}
	// fields[0] is field 3 (the state), so field k is fields[k-3].
	fields := strings.Fields(text[end+1:])
	if len(fields) < 13 {
		return 0, fmt.Errorf("the process stat has %d fields after the command name, want at least 13", len(fields))
	}
	var ticks int64
	for _, field := range fields[14-3 : 15-3+1] {
		n, err := strconv.ParseInt(field, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("invalid CPU time %q in the process stat: %w", field, err)
		}
		ticks += n
	}
	return time.Duration(ticks) * time.Second / userHZ, nil
}

// readMemTotal returns the host's memory, MemTotal from /proc/meminfo, in
// bytes.
func readMemTotal() (int64, error) {
	data, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		return 0, fmt.Errorf("read host memory: %w", err)
	}
	for line := range strings.Lines(string(data)) {
		if value, ok := strings.CutPrefix(line, "MemTotal:"); ok {
			return parseKilobytes(value)
		}
	}
	return 0, errors.New("read host memory: MemTotal missing from /proc/meminfo")
}

// readHostBusyTime returns the CPU time that all processes on the host have
// used, summed over its CPUs: the first line of /proc/stat without the idle
// and iowait columns.
func readHostBusyTime() (time.Duration, error) {
	data, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, fmt.Errorf("read host CPU time: %w", err)
	}
	busy, err := parseHostBusyTime(data)
	if err != nil {
		return 0, fmt.Errorf("read host CPU time: %w", err)
	}
	return busy, nil
}

// parseHostBusyTime parses the "cpu" line of /proc/stat, whose columns are
// user, nice, system, idle, iowait, irq, softirq and steal, in clock ticks,
// followed by guest columns that user already includes.
func parseHostBusyTime(data []byte) (time.Duration, error) {
	line, _, _ := strings.Cut(string(data), "\n")
	fields := strings.Fields(line)
	if len(fields) < 9 || fields[0] != "cpu" {
		return 0, fmt.Errorf("the first line of /proc/stat is %q, want cpu and at least 8 columns", line)
	}
	var ticks int64
	for i, field := range fields[1:9] {
		n, err := strconv.ParseInt(field, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("invalid column %d %q in /proc/stat: %w", i+1, field, err)
		}
		// Columns 4 and 5 are idle and iowait.
		if i != 3 && i != 4 {
			ticks += n
		}
	}
	return time.Duration(ticks) * time.Second / userHZ, nil
}
