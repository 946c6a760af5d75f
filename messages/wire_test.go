package messages

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestPlayerUpdateDetectedAtOnlyWhenSet(t *testing.T) {
	change := sampleUpdate(false)
	encoded, err := json.Marshal(NewPlayerUpdateData(change))
	if err != nil {
		t.Fatalf("marshal a change: %v", err)
	}
	if !strings.Contains(string(encoded), `"detected_at":"2024-11-10T17:00:00Z"`) {
		t.Errorf("a change lacks its detected_at: %s", encoded)
	}

	// A snapshot item is scored from a delta without a detection time.
	item := sampleUpdate(true)
	item.Delta.DetectedUnixNano = 0
	encoded, err = json.Marshal(NewPlayerUpdateData(item))
	if err != nil {
		t.Fatalf("marshal a snapshot item: %v", err)
	}
	if strings.Contains(string(encoded), "detected_at") {
		t.Errorf("a snapshot item carries detected_at: %s", encoded)
	}
}
