package main

import (
	"bufio"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// clockTicksPerSecond is USER_HZ, the unit of utime and stime in
// /proc/<pid>/stat. It is 100 on every Linux architecture Go supports;
// reading sysconf(_SC_CLK_TCK) would need cgo.
const clockTicksPerSecond = 100

// processSample is the resident memory and CPU time of a process at one
// moment, read from /proc.
type processSample struct {
	at       time.Time
	rssBytes int64
	cpu      time.Duration
}

// sampleProcess reads VmRSS from /proc/<pid>/status and utime+stime from
// /proc/<pid>/stat.
func sampleProcess(pid int) (processSample, error) {
	sample := processSample{at: time.Now()}

	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return sample, fmt.Errorf("read status of pid %d: %w", pid, err)
	}
	for line := range strings.SplitSeq(string(status), "\n") {
		value, found := strings.CutPrefix(line, "VmRSS:")
		if !found {
			continue
		}
		fields := strings.Fields(value)
		if len(fields) != 2 || fields[1] != "kB" {
			return sample, fmt.Errorf("parse VmRSS of pid %d: unexpected %q", pid, line)
		}
		kilobytes, err := strconv.ParseInt(fields[0], 10, 64)
		if err != nil {
			return sample, fmt.Errorf("parse VmRSS of pid %d: %w", pid, err)
		}
		sample.rssBytes = kilobytes * 1024
	}

	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return sample, fmt.Errorf("read stat of pid %d: %w", pid, err)
	}
	sample.cpu, err = parseCPUTime(string(stat))
	if err != nil {
		return sample, fmt.Errorf("parse stat of pid %d: %w", pid, err)
	}
	return sample, nil
}

// parseCPUTime returns utime+stime of a /proc/<pid>/stat line. The command
// name in field 2 is in parentheses and may contain spaces, so the fields
// are counted from the last ')'.
func parseCPUTime(stat string) (time.Duration, error) {
	end := strings.LastIndexByte(stat, ')')
	if end < 0 {
		return 0, fmt.Errorf("no command name in %q", stat)
	}

	// After ")" come field 3 (state) onwards, so utime (field 14) is
	// index 11 and stime (field 15) index 12.
	fields := strings.Fields(stat[end+1:])
	if len(fields) < 13 {
		return 0, fmt.Errorf("only %d fields after the command name", len(fields))
	}
	utime, err := strconv.ParseInt(fields[11], 10, 64)
	if err != nil {
		return 0, fmt.Errorf("utime: %w", err)
	}
	stime, err := strconv.ParseInt(fields[12], 10, 64)
	if err != nil {
		return 0, fmt.Errorf("stime: %w", err)
	}
	return time.Duration(utime+stime) * time.Second / clockTicksPerSecond, nil
}

// findListeningPID returns the pid of the process with a TCP socket
// listening on port, found through /proc/net/tcp, /proc/net/tcp6 and the
// socket inodes in /proc/<pid>/fd.
func findListeningPID(port int) (int, error) {
	inodes := make(map[string]bool)
	for _, table := range []string{"/proc/net/tcp", "/proc/net/tcp6"} {
		file, err := os.Open(table)
		if err != nil {
			continue
		}
		found, err := listeningInodes(bufio.NewScanner(file), port)
		file.Close()
		if err != nil {
			return 0, fmt.Errorf("read %s: %w", table, err)
		}
		for _, inode := range found {
			inodes[inode] = true
		}
	}
	if len(inodes) == 0 {
		return 0, fmt.Errorf("no socket listens on port %d: start nflsync first or pass -server-pid", port)
	}

	processes, err := filepath.Glob("/proc/[0-9]*/fd")
	if err != nil {
		return 0, err
	}
	for _, fdDir := range processes {
		entries, err := os.ReadDir(fdDir)
		if err != nil {
			// Another user's process, or one that has exited.
			continue
		}
		for _, entry := range entries {
			target, err := os.Readlink(filepath.Join(fdDir, entry.Name()))
			if err != nil {
				continue
			}
			inode, found := strings.CutPrefix(target, "socket:[")
			if found && inodes[strings.TrimSuffix(inode, "]")] {
				return strconv.Atoi(filepath.Base(filepath.Dir(fdDir)))
			}
		}
	}
	return 0, fmt.Errorf("no readable process owns the socket listening on port %d: pass -server-pid", port)
}

// tcpListen is the st column of /proc/net/tcp for a listening socket.
const tcpListen = "0A"

// listeningInodes returns the inodes of the listening sockets on port in a
// /proc/net/tcp table. The local address column is hex IP:hex port.
func listeningInodes(table *bufio.Scanner, port int) ([]string, error) {
	wantPort := fmt.Sprintf(":%04X", port)
	var inodes []string

	table.Scan() // the header line
	for table.Scan() {
		fields := strings.Fields(table.Text())
		if len(fields) < 10 {
			continue
		}
		localAddress, state, inode := fields[1], fields[3], fields[9]
		if state == tcpListen && strings.HasSuffix(localAddress, wantPort) {
			inodes = append(inodes, inode)
		}
	}
	return inodes, table.Err()
}

// Gauges and counters that loadgen reads from the server's /metrics page:
// client_golang's Go collector, and the sync cycle metrics of package
// metrics.
const (
	metricGoroutines  = "go_goroutines"
	metricHeapInuse   = "go_memstats_heap_inuse_bytes"
	metricStackInuse  = "go_memstats_stack_inuse_bytes"
	metricLastSync    = "nflsync_last_successful_sync_timestamp_seconds"
	metricSyncSeconds = "nflsync_sync_duration_seconds_sum"
	metricSyncCount   = "nflsync_sync_duration_seconds_count"
)

// readMetrics fetches metricsURL and returns the values of the unlabelled
// samples named in names. A name missing from the page is missing from the
// result.
func readMetrics(metricsURL string, names ...string) (map[string]float64, error) {
	client := http.Client{Timeout: 10 * time.Second}
	response, err := client.Get(metricsURL)
	if err != nil {
		return nil, fmt.Errorf("read server metrics: %w", err)
	}
	defer response.Body.Close()
	if response.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("read server metrics %s: HTTP %d", metricsURL, response.StatusCode)
	}

	wanted := make(map[string]bool, len(names))
	for _, name := range names {
		wanted[name] = true
	}
	values := make(map[string]float64, len(names))
	scanner := bufio.NewScanner(response.Body)
	scanner.Buffer(make([]byte, 64*1024), 1<<20)
	for scanner.Scan() {
		name, value, found := strings.Cut(scanner.Text(), " ")
		if !found || !wanted[name] {
			continue
		}
		parsed, err := strconv.ParseFloat(strings.TrimSpace(value), 64)
		if err != nil {
			return nil, fmt.Errorf("parse %s in %s: %w", name, metricsURL, err)
		}
		values[name] = parsed
	}
	if err := scanner.Err(); err != nil {
		return nil, fmt.Errorf("read server metrics %s: %w", metricsURL, err)
	}
	return values, nil
}
