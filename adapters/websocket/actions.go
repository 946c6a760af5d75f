package websocket

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/nflsync/nflsync/actors"
	"github.com/nflsync/nflsync/messages"
)

// clientAction is a client message. Unknown fields are ignored.
type clientAction struct {
	Action   string `json:"action"`
	PlayerID string `json:"player_id"`
	GameID   string `json:"game_id"`
	LeagueID string `json:"league_id"`

	// Streams are the positions of a resume action.
	Streams []resumePosition `json:"streams"`
}

// resumePosition is the last message a client has on one stream, as it
// read "stream", "epoch" and "seq" from that message.
type resumePosition struct {
	Stream string `json:"stream"`
	Epoch  string `json:"epoch"`
	Seq    uint64 `json:"seq"`
}

// resumeAction is the action that resumes streams after a reconnect.
const resumeAction = "resume"

// actionSpec is the effect of one client action: the stream kind and
// whether the action subscribes or unsubscribes.
type actionSpec struct {
	kind      messages.StreamKind
	subscribe bool

	// idField is the JSON field that names the stream, such as player_id.
	// It is empty for the scoreboard, which has one stream.
	idField string
}

var clientActions = map[string]actionSpec{
	"subscribe_player":       {kind: messages.StreamKind_STREAM_KIND_PLAYER, subscribe: true, idField: "player_id"},
	"unsubscribe_player":     {kind: messages.StreamKind_STREAM_KIND_PLAYER, subscribe: false, idField: "player_id"},
	"subscribe_game":         {kind: messages.StreamKind_STREAM_KIND_GAME, subscribe: true, idField: "game_id"},
	"unsubscribe_game":       {kind: messages.StreamKind_STREAM_KIND_GAME, subscribe: false, idField: "game_id"},
	"subscribe_league":       {kind: messages.StreamKind_STREAM_KIND_LEAGUE, subscribe: true, idField: "league_id"},
	"unsubscribe_league":     {kind: messages.StreamKind_STREAM_KIND_LEAGUE, subscribe: false, idField: "league_id"},
	"subscribe_scoreboard":   {kind: messages.StreamKind_STREAM_KIND_SCOREBOARD, subscribe: true},
	"unsubscribe_scoreboard": {kind: messages.StreamKind_STREAM_KIND_SCOREBOARD, subscribe: false},
}

// knownActions lists the action names for error messages.
const knownActions = "subscribe_player, unsubscribe_player, subscribe_game, unsubscribe_game, " +
	"subscribe_league, unsubscribe_league, subscribe_scoreboard, unsubscribe_scoreboard, resume"

// decodeClientAction decodes one client message into a *messages.Subscribe,
// *messages.Unsubscribe or *actors.Resume for the session actor. When the
// message is not a valid action it returns instead the encoded ERROR message
// for the client.
func decodeClientAction(data []byte) (request any, errorPayload []byte) {
	// json.Unmarshal takes null into a struct without an error, but null
	// is not a JSON object either.
	if string(bytes.TrimSpace(data)) == "null" {
		return nil, messages.EncodeError(messages.ErrorCodeInvalidJSON,
			`invalid message: a JSON null, not an object. Send one JSON object per message, such as {"action":"subscribe_player","player_id":"00-0033873"}`)
	}

	var action clientAction
	if err := json.Unmarshal(data, &action); err != nil {
		return nil, encodeDecodeError(err)
	}

	if action.Action == "" {
		return nil, messages.EncodeError(messages.ErrorCodeInvalidField,
			"action is missing or empty. Expected one of "+knownActions)
	}
	if action.Action == resumeAction {
		return decodeResume(action.Streams)
	}
	spec, known := clientActions[action.Action]
	if !known {
		return nil, messages.EncodeError(messages.ErrorCodeUnknownAction,
			fmt.Sprintf("unknown action %q. Expected one of %s", action.Action, knownActions))
	}

	id := action.id(spec.kind)
	if spec.idField != "" && strings.TrimSpace(id) == "" {
		return nil, messages.EncodeError(messages.ErrorCodeInvalidField,
			fmt.Sprintf("%s is missing or empty, and %s needs it", spec.idField, action.Action))
	}
	if spec.idField != "" && !validStreamID(id) {
		return nil, messages.EncodeError(messages.ErrorCodeInvalidField,
			fmt.Sprintf("%s is invalid: use at most %d letters, digits, '-', '_' or '.', such as 00-0033873 or 2024_10_DEN_KC",
				spec.idField, maxStreamIDLength))
	}

	if spec.subscribe {
		return &messages.Subscribe{Kind: spec.kind, Id: id}, nil
	}
	return &messages.Unsubscribe{Kind: spec.kind, Id: id}, nil
}

// maxStreamIDLength bounds a player, game or league id. nflverse ids are
// 10 (gsis_id) to 15 (game_id) characters; the bound leaves room for league
// ids and keeps a client from filling the hub with huge keys.
const maxStreamIDLength = 64

// validStreamID reports whether id is short and made of the characters
// that nflverse ids and league ids use.
func validStreamID(id string) bool {
	if len(id) > maxStreamIDLength {
		return false
	}
	for _, r := range id {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.') {
			return false
		}
	}
	return true
}

func (a clientAction) id(kind messages.StreamKind) string {
	switch kind {
	case messages.StreamKind_STREAM_KIND_PLAYER:
		return a.PlayerID
	case messages.StreamKind_STREAM_KIND_GAME:
		return a.GameID
	case messages.StreamKind_STREAM_KIND_LEAGUE:
		return a.LeagueID
	case messages.StreamKind_STREAM_KIND_SCOREBOARD:
		return actors.ScoreboardID
	default:
		return ""
	}
}

// decodeResume checks the positions of a resume action. The session checks
// each stream key, so that one bad entry does not cost the client the
// others.
func decodeResume(streams []resumePosition) (request any, errorPayload []byte) {
	if len(streams) == 0 {
		return nil, messages.EncodeError(messages.ErrorCodeInvalidField,
			`streams is missing or empty, and resume needs it, such as [{"stream":"player:00-0033873","epoch":"…","seq":41}]`)
	}

	resume := &actors.Resume{Positions: make([]actors.StreamPosition, 0, len(streams))}
	for _, stream := range streams {
		resume.Positions = append(resume.Positions, actors.StreamPosition{Stream: stream.Stream, Epoch: stream.Epoch, Seq: stream.Seq})
	}
	return resume, nil
}

// encodeDecodeError returns the ERROR for a message that json.Unmarshal
// rejected. A known field of the wrong type, such as a numeric player_id, is
// an invalid_field error. Anything else, including JSON that is not an
// object, is invalid_json.
func encodeDecodeError(err error) []byte {
	var typeError *json.UnmarshalTypeError
	if errors.As(err, &typeError) && typeError.Field != "" {
		expected := "a JSON string"
		if typeError.Field == "streams" {
			expected = "an array of stream positions"
		} else if strings.HasSuffix(typeError.Field, ".seq") {
			expected = "a whole number of at least 0"
		}
		return messages.EncodeError(messages.ErrorCodeInvalidField,
			fmt.Sprintf("%s must be %s, not %s", typeError.Field, expected, typeError.Value))
	}

	// A JSON value other than an object has no field. The message names
	// that value instead of the decoder's Go type names.
	if errors.As(err, &typeError) {
		return messages.EncodeError(messages.ErrorCodeInvalidJSON,
			fmt.Sprintf(`invalid message: a JSON %s, not an object. Send one JSON object per message, such as {"action":"subscribe_player","player_id":"00-0033873"}`, typeError.Value))
	}

	return messages.EncodeError(messages.ErrorCodeInvalidJSON,
		fmt.Sprintf(`invalid JSON: %v. Send one JSON object per message, such as {"action":"subscribe_player","player_id":"00-0033873"}`, err))
}
