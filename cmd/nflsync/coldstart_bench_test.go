package main

import (
	"bufio"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
)

// BenchmarkColdStart measures a cold start on the embedded default: from
// exec of `nflsync serve` with an empty data directory (embedded FerretDB
// on SQLite, in-memory mirror) on the 2024 replay to the log line of the
// first finished sync cycle, whose changes have then been pushed. Building
// the binary and stopping the server are not timed.
func BenchmarkColdStart(b *testing.B) {
	binary := buildBinary(b)

	for b.Loop() {
		b.StopTimer()
		command := exec.Command(binary, "serve")
		command.Env = append(os.Environ(),
			"NFL_SYNC_SOURCE=replay:../../testdata/replay/2024",
			"NFL_SYNC_DATA_DIR="+b.TempDir(),
			"NFL_SYNC_LISTEN_ADDR=127.0.0.1:0",
			"NFL_SYNC_INTERVAL_SECONDS=3600",
			"NFL_SYNC_LOG_LEVEL=info",
		)
		stderr, err := command.StderrPipe()
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()

		if err := command.Start(); err != nil {
			b.Fatalf("start nflsync serve: %v", err)
		}
		lines := bufio.NewScanner(stderr)
		finished := false
		var output []string
		for lines.Scan() {
			output = append(output, lines.Text())
			if strings.Contains(lines.Text(), `msg="sync cycle finished"`) {
				finished = true
				break
			}
		}

		b.StopTimer()
		go func() {
			for lines.Scan() {
			}
		}()
		if err := command.Process.Signal(syscall.SIGTERM); err != nil {
			b.Fatalf("stop nflsync serve: %v", err)
		}
		waited := make(chan error, 1)
		go func() { waited <- command.Wait() }()
		select {
		case <-waited:
		case <-time.After(30 * time.Second):
			_ = command.Process.Kill()
			b.Fatal("nflsync serve did not stop within 30 s of SIGTERM")
		}
		if !finished {
			b.Fatalf("nflsync serve ended before its first sync cycle; its log:\n%s", strings.Join(output, "\n"))
		}
		b.StartTimer()
	}
}
