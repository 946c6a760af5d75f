package main

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"
)

func TestRepeatLimiterHoldsBackRepeats(t *testing.T) {
	var output bytes.Buffer
	logger := slog.New(newRepeatLimiter(slog.NewTextHandler(&output, nil)))
	start := time.Date(2026, 12, 5, 12, 0, 0, 0, time.UTC)

	write := func(at time.Time, message string) {
		record := slog.NewRecord(at, slog.LevelError, message, 0)
		if err := logger.Handler().Handle(context.Background(), record); err != nil {
			t.Fatal(err)
		}
	}
	for second := range 5 {
		write(start.Add(time.Duration(second)*time.Second), "Bad connection to the node health status")
	}
	write(start.Add(2*time.Second), "another error")
	write(start.Add(repeatWindow+time.Second), "Bad connection to the node health status")

	lines := strings.Split(strings.TrimSpace(output.String()), "\n")
	if len(lines) != 3 {
		t.Fatalf("got %d lines, want 3 (first, another, after the window):\n%s", len(lines), output.String())
	}
	if !strings.Contains(lines[2], "repeats_suppressed=4") {
		t.Errorf("line after the window %q, want repeats_suppressed=4", lines[2])
	}
	if strings.Contains(lines[0], "repeats_suppressed") {
		t.Errorf("first line %q counts repeats, want none", lines[0])
	}
}
