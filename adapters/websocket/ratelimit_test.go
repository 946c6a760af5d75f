package websocket

import (
	"testing"
	"time"
)

func TestTokenBucketBurstAndRefill(t *testing.T) {
	bucket := newTokenBucket(2, 3)
	start := time.Unix(1_700_000_000, 0)

	for i := range 3 {
		if allowed, _ := bucket.allow(start); !allowed {
			t.Fatalf("event %d of the burst of 3 was rejected", i+1)
		}
	}
	allowed, wait := bucket.allow(start)
	if allowed {
		t.Fatal("fourth event at once was allowed, want rejected")
	}
	if wait != 500*time.Millisecond {
		t.Errorf("wait = %s, want 500ms at 2 tokens per second", wait)
	}

	if allowed, _ := bucket.allow(start.Add(500 * time.Millisecond)); !allowed {
		t.Error("event after 500ms was rejected, want one new token")
	}
	if allowed, _ := bucket.allow(start.Add(500 * time.Millisecond)); allowed {
		t.Error("second event after 500ms was allowed, want rejected")
	}

	// A long pause refills at most the burst.
	later := start.Add(time.Hour)
	for i := range 3 {
		if allowed, _ := bucket.allow(later); !allowed {
			t.Fatalf("event %d after an hour was rejected", i+1)
		}
	}
	if allowed, _ := bucket.allow(later); allowed {
		t.Error("fourth event after an hour was allowed, want the burst of 3 only")
	}
}
