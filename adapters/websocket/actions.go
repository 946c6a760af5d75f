package websocket

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/nflsync/nflsync/messages"
)

// clientAction is a client message. Unknown fields are ignored.
type clientAction struct {
	Action   string `json:"action"`
	PlayerID string `json:"player_id"`
	GameID   string `json:"game_id"`
	LeagueID string `json:"league_id"`
}

// actionSpec is the effect of one client action: the stream kind and
// whether the action subscribes or unsubscribes.
type actionSpec struct {
	kind      messages.StreamKind
	subscribe bool

	// idField is the JSON field that names the stream, such as player_id.
	idField string
}

var clientActions = map[string]actionSpec{
	"subscribe_player":   {kind: messages.StreamKind_STREAM_KIND_PLAYER, subscribe: true, idField: "player_id"},
	"unsubscribe_player": {kind: messages.StreamKind_STREAM_KIND_PLAYER, subscribe: false, idField: "player_id"},
	"subscribe_game":     {kind: messages.StreamKind_STREAM_KIND_GAME, subscribe: true, idField: "game_id"},
	"unsubscribe_game":   {kind: messages.StreamKind_STREAM_KIND_GAME, subscribe: false, idField: "game_id"},
	"subscribe_league":   {kind: messages.StreamKind_STREAM_KIND_LEAGUE, subscribe: true, idField: "league_id"},
	"unsubscribe_league": {kind: messages.StreamKind_STREAM_KIND_LEAGUE, subscribe: false, idField: "league_id"},
}

// knownActions lists the action names for error messages.
const knownActions = "subscribe_player, unsubscribe_player, subscribe_game, unsubscribe_game, subscribe_league, unsubscribe_league"

// decodeClientAction decodes one client message into a *messages.Subscribe
// or *messages.Unsubscribe for the session actor. When the message is not a
// valid action it returns instead the encoded ERROR message for the client.
func decodeClientAction(data []byte) (request any, errorPayload []byte) {
	var action clientAction
	if err := json.Unmarshal(data, &action); err != nil {
		return nil, encodeDecodeError(err)
	}

	if action.Action == "" {
		return nil, messages.EncodeError(messages.ErrorCodeInvalidField,
			"action is missing or empty. Expected one of "+knownActions)
	}
	spec, known := clientActions[action.Action]
	if !known {
		return nil, messages.EncodeError(messages.ErrorCodeUnknownAction,
			fmt.Sprintf("unknown action %q. Expected one of %s", action.Action, knownActions))
	}

	id := action.id(spec.kind)
	if strings.TrimSpace(id) == "" {
		return nil, messages.EncodeError(messages.ErrorCodeInvalidField,
			fmt.Sprintf("%s is missing or empty, and %s needs it", spec.idField, action.Action))
	}

	if spec.subscribe {
		return &messages.Subscribe{Kind: spec.kind, Id: id}, nil
	}
	return &messages.Unsubscribe{Kind: spec.kind, Id: id}, nil
}

func (a clientAction) id(kind messages.StreamKind) string {
	switch kind {
	case messages.StreamKind_STREAM_KIND_PLAYER:
		return a.PlayerID
	case messages.StreamKind_STREAM_KIND_GAME:
		return a.GameID
	case messages.StreamKind_STREAM_KIND_LEAGUE:
		return a.LeagueID
	default:
		return ""
	}
}

// encodeDecodeError returns the ERROR for a message that json.Unmarshal
// rejected. A known field of the wrong type, such as a numeric player_id, is
// an invalid_field error. Anything else, including JSON that is not an
// object, is invalid_json.
func encodeDecodeError(err error) []byte {
	var typeError *json.UnmarshalTypeError
	if errors.As(err, &typeError) && typeError.Field != "" {
		return messages.EncodeError(messages.ErrorCodeInvalidField,
			fmt.Sprintf("%s must be a JSON string, not %s", typeError.Field, typeError.Value))
	}

	return messages.EncodeError(messages.ErrorCodeInvalidJSON,
		fmt.Sprintf(`invalid JSON: %v. Send one JSON object per message, such as {"action":"subscribe_player","player_id":"00-0033873"}`, err))
}
