package hazelcasttest_test

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/nflsync/nflsync/adapters/hazelcast/hazelcasttest"
)

func TestMemberStopStart(t *testing.T) {
	member := hazelcasttest.StartMember(t)
	address := member.Address()

	if !accepts(address) {
		t.Fatalf("member port %s refuses connections after StartMember", address)
	}

	member.Stop()
	if accepts(address) {
		t.Fatalf("member port %s accepts connections after Stop", address)
	}

	member.Stop()

	member.Start()
	if member.Address() != address {
		t.Errorf("Address after restart = %s, want %s", member.Address(), address)
	}
	if !accepts(address) {
		t.Fatalf("member port %s refuses connections after Start", address)
	}
}

func accepts(address string) bool {
	dialer := net.Dialer{Timeout: time.Second}
	conn, err := dialer.DialContext(context.Background(), "tcp", address)
	if err != nil {
		return false
	}
	conn.Close()
	return true
}
