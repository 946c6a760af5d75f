package mongo

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	mongodriver "go.mongodb.org/mongo-driver/mongo"
	"go.mongodb.org/mongo-driver/x/mongo/driver/topology"
)

// retryPolicy bounds how often and how long a failed operation is retried.
type retryPolicy struct {
	maxAttempts  int
	initialDelay time.Duration
	maxDelay     time.Duration
}

var defaultRetryPolicy = retryPolicy{
	maxAttempts:  5,
	initialDelay: 200 * time.Millisecond,
	maxDelay:     5 * time.Second,
}

// withRetry calls write, a write or read, until it succeeds, fails with an
// error that isRetryable rejects, ctx ends or policy.maxAttempts calls have
// failed. write must be idempotent. The returned error is the last one of write,
// wrapped with the number of attempts when there was more than one.
func withRetry(ctx context.Context, logger *slog.Logger, policy retryPolicy, operation string, write func(ctx context.Context) error) error {
	delay := policy.initialDelay

	for attempt := 1; ; attempt++ {
		err := write(ctx)
		if err == nil {
			return nil
		}

		if !isRetryable(err) {
			return err
		}

		if ctx.Err() != nil {
			return fmt.Errorf("%d attempts failed, then %w: %w", attempt, ctx.Err(), err)
		}

		if attempt >= policy.maxAttempts {
			return fmt.Errorf("%d attempts failed: %w", attempt, err)
		}

		logger.WarnContext(ctx, "retrying MongoDB operation",
			"operation", operation, "attempt", attempt, "delay", delay, "err", err)

		timer := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			timer.Stop()
			return fmt.Errorf("%d attempts failed, then %w: %w", attempt, ctx.Err(), err)
		case <-timer.C:
		}

		delay = min(2*delay, policy.maxDelay)
	}
}

// isRetryable reports whether err means that the server could not be
// reached, so the write may not have been applied and can be sent again.
func isRetryable(err error) bool {
	if errors.Is(err, context.Canceled) {
		return false
	}

	if mongodriver.IsNetworkError(err) {
		return true
	}

	if errors.As(err, new(topology.ServerSelectionError)) || errors.Is(err, topology.ErrServerSelectionTimeout) {
		return true
	}

	var labeled mongodriver.LabeledError
	if errors.As(err, &labeled) && labeled.HasErrorLabel("RetryableWriteError") {
		return true
	}

	return false
}
