package hazelcast

import (
	"testing"
	"time"
)

func TestAdmitDropsRepeats(t *testing.T) {
	adapter := newSlogAdapter(nil)
	start := time.Date(2024, 9, 22, 17, 0, 0, 0, time.UTC)

	if _, ok := adapter.admit("cannot connect", start); !ok {
		t.Fatal("first message dropped")
	}
	if _, ok := adapter.admit("other message", start); !ok {
		t.Error("a different message was dropped")
	}
	for i := range 3 {
		if _, ok := adapter.admit("cannot connect", start.Add(time.Duration(i+1)*time.Second)); ok {
			t.Errorf("repeat %d within the window was logged", i+1)
		}
	}

	dropped, ok := adapter.admit("cannot connect", start.Add(repeatWindow))
	if !ok {
		t.Fatal("message after the window dropped")
	}
	if dropped != 3 {
		t.Errorf("dropped = %d, want 3", dropped)
	}
}
