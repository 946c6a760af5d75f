package mongo

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"testing"
	"time"

	mongodriver "go.mongodb.org/mongo-driver/mongo"
)

var (
	networkError   = mongodriver.CommandError{Message: "connection reset", Labels: []string{"NetworkError"}}
	duplicateError = mongodriver.CommandError{Code: duplicateKeyCode, Message: "duplicate key"}
	discardLogger  = slog.New(slog.NewTextHandler(io.Discard, nil))
	fastPolicy     = retryPolicy{maxAttempts: 4, initialDelay: time.Millisecond, maxDelay: 2 * time.Millisecond}
)

func TestWithRetryRetriesNetworkErrors(t *testing.T) {
	calls := 0
	err := withRetry(context.Background(), discardLogger, fastPolicy, "test", func(context.Context) error {
		calls++
		if calls < 3 {
			return networkError
		}

		return nil
	})
	if err != nil {
		t.Errorf("withRetry = %v, want nil after the third call", err)
	}
	if calls != 3 {
		t.Errorf("write called %d times, want 3", calls)
	}
}

func TestWithRetryStopsAtMaxAttempts(t *testing.T) {
	calls := 0
	err := withRetry(context.Background(), discardLogger, fastPolicy, "test", func(context.Context) error {
		calls++
		return networkError
	})
	if !mongodriver.IsNetworkError(err) {
		t.Errorf("withRetry = %v, want the network error", err)
	}
	if calls != fastPolicy.maxAttempts {
		t.Errorf("write called %d times, want %d", calls, fastPolicy.maxAttempts)
	}
}

func TestWithRetryReturnsOtherErrorsAtOnce(t *testing.T) {
	calls := 0
	err := withRetry(context.Background(), discardLogger, fastPolicy, "test", func(context.Context) error {
		calls++
		return duplicateError
	})
	if !mongodriver.IsDuplicateKeyError(err) {
		t.Errorf("withRetry = %v, want the duplicate key error", err)
	}
	if calls != 1 {
		t.Errorf("write called %d times, want 1", calls)
	}
}

func TestWithRetryStopsWhenContextEnds(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	slowPolicy := retryPolicy{maxAttempts: 1000, initialDelay: time.Hour, maxDelay: time.Hour}

	calls := 0
	err := withRetry(ctx, discardLogger, slowPolicy, "test", func(context.Context) error {
		calls++
		cancel()
		return networkError
	})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("withRetry = %v, want context.Canceled", err)
	}
	if calls != 1 {
		t.Errorf("write called %d times, want 1", calls)
	}
}

func TestIsRetryable(t *testing.T) {
	cases := []struct {
		name string
		err  error
		want bool
	}{
		{"network error", networkError, true},
		{"retryable write label", mongodriver.CommandError{Labels: []string{"RetryableWriteError"}}, true},
		{"duplicate key", duplicateError, false},
		{"canceled", context.Canceled, false},
		{"other", errors.New("invalid document"), false},
	}

	for _, tc := range cases {
		if got := isRetryable(tc.err); got != tc.want {
			t.Errorf("isRetryable(%s) = %v, want %v", tc.name, got, tc.want)
		}
	}
}
