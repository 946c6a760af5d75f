package nflverse

import (
	"bytes"
	"errors"
	"io"
	"testing"
	"testing/iotest"
)

// TestPrefetchReaderCopiesAll reads more than all chunks hold, in odd
// sizes, and gets every byte in order.
func TestPrefetchReaderCopiesAll(t *testing.T) {
	data := make([]byte, prefetchChunks*prefetchChunkSize*3+12345)
	for i := range data {
		data[i] = byte(i * 7)
	}

	reader := newPrefetchReader(bytes.NewReader(data))
	defer reader.Close()
	got, err := io.ReadAll(iotest.OneByteReader(io.LimitReader(reader, 100)))
	if err != nil {
		t.Fatal(err)
	}
	rest, err := io.ReadAll(reader)
	if err != nil {
		t.Fatal(err)
	}
	if got = append(got, rest...); !bytes.Equal(got, data) {
		t.Errorf("read %d bytes that differ from the %d written", len(got), len(data))
	}
}

// TestPrefetchReaderReturnsSourceError checks that the data before a
// failure comes first, then the failure itself.
func TestPrefetchReaderReturnsSourceError(t *testing.T) {
	failure := errors.New("read failed")
	source := io.MultiReader(bytes.NewReader([]byte("first part")), iotest.ErrReader(failure))

	reader := newPrefetchReader(source)
	defer reader.Close()
	got, err := io.ReadAll(reader)
	if !errors.Is(err, failure) {
		t.Errorf("error = %v, want %v", err, failure)
	}
	if string(got) != "first part" {
		t.Errorf("data before the error = %q, want %q", got, "first part")
	}
}

// TestPrefetchReaderCloseEarly closes the reader before its source is read
// to the end. Close returns once the goroutine stopped.
func TestPrefetchReaderCloseEarly(t *testing.T) {
	reader := newPrefetchReader(bytes.NewReader(make([]byte, 10*prefetchChunkSize)))
	buffer := make([]byte, 10)
	if _, err := reader.Read(buffer); err != nil {
		t.Fatal(err)
	}
	if err := reader.Close(); err != nil {
		t.Errorf("Close = %v", err)
	}
}
