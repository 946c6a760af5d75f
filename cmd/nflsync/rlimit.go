package main

import (
	"log/slog"
	"syscall"
)

// raiseOpenFileLimit raises the soft RLIMIT_NOFILE to the hard limit. Every
// WebSocket client holds one file descriptor, and many distributions start
// processes with a soft limit of 1024, far below the hard limit. Raising the
// hard limit itself needs root or CAP_SYS_RESOURCE (ulimit -Hn, or LimitNOFILE
// in a systemd unit), so a failure is logged and the server runs on.
func raiseOpenFileLimit(logger *slog.Logger) {
	var limit syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &limit); err != nil {
		logger.Warn("read the open file limit failed", "error", err)
		return
	}
	if limit.Cur >= limit.Max {
		logger.Info("open file limit", "limit", limit.Cur)
		return
	}

	previous := limit.Cur
	limit.Cur = limit.Max
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &limit); err != nil {
		logger.Warn("raise the open file limit failed", "limit", previous, "hard_limit", limit.Max, "error", err)
		return
	}
	logger.Info("raised the open file limit", "previous", previous, "limit", limit.Cur)
}
