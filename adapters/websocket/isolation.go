package websocket

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"maps"
	"slices"
)

// TypeNodeStatus is the "type" of the NODE_STATUS message, and
// NodeStatusIsolated its only status so far.
const (
	TypeNodeStatus     = "NODE_STATUS"
	NodeStatusIsolated = "isolated"
)

// NodeStatusMessage is the NODE_STATUS message. A cluster node that no
// longer reaches a majority of its peers sends it to every client, just before
// it closes the connection with ServiceRestartCloseCode, because such a node
// gets no more changes. ReconnectAfterMS equals the close frame's
// reconnect_after_ms.
type NodeStatusMessage struct {
	Type   string `json:"type"`
	Status string `json:"status"`

	// Members is the number of cluster members in this node's topology,
	// itself included, and Peers the number of configured peers.
	Members int `json:"members"`
	Peers   int `json:"peers"`

	ReconnectAfterMS int64 `json:"reconnect_after_ms"`
}

// isolation records why new upgrades are rejected while the node is cut off
// from its cluster.
type isolation struct {
	members int
	peers   int
}

// Isolate sends NODE_STATUS "isolated" to every client, closes each
// connection with ServiceRestartCloseCode and a jittered reconnect hint,
// and rejects new upgrades with 503 until Rejoin. A cluster node calls it
// when it reaches half of its peers or fewer: it polls nothing and is relayed
// nothing then, so its clients do better on another node. members is the
// number of members in the node's topology, itself included, and peers the number
// of configured peers. It returns the number of connections closed.
func (h *Handler) Isolate(members, peers int) int {
	h.mu.Lock()
	h.isolated = &isolation{members: members, peers: peers}
	connections := slices.Collect(maps.Keys(h.connections))
	h.mu.Unlock()

	for _, conn := range connections {
		h.closeIsolated(conn, members, peers)
	}
	if len(connections) > 0 {
		slog.Warn("cluster node isolated, closing WebSocket connections so that clients move to another node",
			slog.Int("members", members), slog.Int("peers", peers), slog.Int("connections", len(connections)))
	}
	return len(connections)
}

// Rejoin accepts new upgrades again after Isolate.
func (h *Handler) Rejoin() {
	h.mu.Lock()
	defer h.mu.Unlock()

	h.isolated = nil
}

// closeIsolated queues NODE_STATUS as the connection's last message and
// closes it with the same reconnect hint.
func (h *Handler) closeIsolated(conn *connection, members, peers int) {
	delay := h.reconnectDelay()
	status, err := json.Marshal(NodeStatusMessage{
		Type:             TypeNodeStatus,
		Status:           NodeStatusIsolated,
		Members:          members,
		Peers:            peers,
		ReconnectAfterMS: delay.Milliseconds(),
	})
	if err != nil {
		// Marshaling strings and integers cannot fail.
		panic(err)
	}
	conn.closeAfter(status, ServiceRestartCloseCode, reconnectReason(delay))
}

// isolatedRejection returns the 503 for an upgrade while the node is
// isolated, or nil. The caller holds h.mu.
func (h *Handler) isolatedRejection() *admissionError {
	if h.isolated == nil {
		return nil
	}
	return &admissionError{status: 503, retryAfter: h.options.ReconnectMinDelay + retryJitter(), message: fmt.Sprintf(
		"this nflsync node reaches %d of its %d cluster members, not a majority, so it gets no changes: connect to another node",
		h.isolated.members, h.isolated.peers)}
}
