package actors

// The protobuf forms of what a league actor replies, which cross nodes in a
// cluster, and their conversions to and from the Go types of the Leagues
// API.

import (
	"encoding/json"
	"errors"

	"github.com/nflsync/nflsync/messages"
)

// board returns the current leaderboard, with each change measured against
// the last published board, or an empty board without a definition.
func (a *leagueActor) board() *messages.LeagueBoard {
	if a.league == nil {
		return &messages.LeagueBoard{}
	}

	rows := a.rows()
	board := &messages.LeagueBoard{
		LeagueId: a.league.GetId(),
		RuleSet:  a.ruleSet.Name,
		Season:   a.league.GetSeason(),
		Weeks:    a.league.GetWeeks(),
		Rows:     make([]*messages.LeagueBoardRow, 0, len(rows)),
	}
	for _, row := range rows {
		board.Rows = append(board.Rows, &messages.LeagueBoardRow{
			Rank:     int32(row.Rank),
			TeamId:   row.TeamID,
			TeamName: row.TeamName,
			Points:   row.Points,
			Change:   row.Change,
		})
	}
	return board
}

// snapshot returns the leaderboard rows as the items of a SNAPSHOT of the
// league stream, and no items without a definition.
func (a *leagueActor) snapshot() *messages.LeagueSnapshot {
	if a.league == nil {
		return &messages.LeagueSnapshot{}
	}

	// A snapshot serves the board of the last LEADERBOARD_UPDATE, not the
	// current rows, which can hold changes of a poll that is not over.
	rows := a.published
	if rows == nil {
		rows = a.rows()
	}
	snapshot := &messages.LeagueSnapshot{Items: make([][]byte, 0, len(rows))}
	for _, row := range rows {
		item, err := json.Marshal(row)
		if err != nil {
			// A struct of strings and an int always encodes.
			a.logger.Error("encode leaderboard row failed", "league_id", a.league.GetId(), "error", err)
			continue
		}
		snapshot.Items = append(snapshot.Items, item)
	}
	return snapshot
}

// lastPublished returns the rows of the newest LEADERBOARD_UPDATE of the
// league's stream in this node's hub, or nil when the hub has none.
func (a *leagueActor) lastPublished() []messages.LeaderboardRow {
	payload := a.hub.LastPayload(a.stream, messages.TypeLeaderboardUpdate)
	if payload == nil {
		return nil
	}

	var message messages.LeaderboardUpdateMessage
	if err := json.Unmarshal(payload, &message); err != nil {
		a.logger.Error("decode the last LEADERBOARD_UPDATE failed", "league_id", a.league.GetId(), "error", err)
		return nil
	}
	if message.Rows == nil {
		return []messages.LeaderboardRow{}
	}
	return message.Rows
}

// leaderboardMessage returns the LEADERBOARD_UPDATE message of a board.
func leaderboardMessage(board *messages.LeagueBoard) *messages.LeaderboardUpdateMessage {
	message := &messages.LeaderboardUpdateMessage{
		Type:     messages.TypeLeaderboardUpdate,
		LeagueID: board.GetLeagueId(),
		RuleSet:  board.GetRuleSet(),
		Season:   board.GetSeason(),
		Weeks:    board.GetWeeks(),
		Rows:     make([]messages.LeaderboardRow, 0, len(board.GetRows())),
	}
	for _, row := range board.GetRows() {
		message.Rows = append(message.Rows, messages.LeaderboardRow{
			Rank:     int(row.GetRank()),
			TeamID:   row.GetTeamId(),
			TeamName: row.GetTeamName(),
			Points:   row.GetPoints(),
			Change:   row.GetChange(),
		})
	}
	return message
}

// leagueReplyOf returns the reply that carries err: a *LeagueError as its
// code, field and message, another error as its message alone.
func leagueReplyOf(err error) *messages.LeagueReply {
	if err == nil {
		return &messages.LeagueReply{}
	}

	var leagueErr *LeagueError
	if errors.As(err, &leagueErr) {
		return &messages.LeagueReply{ErrorCode: leagueErr.Code, ErrorField: leagueErr.Field, ErrorMessage: leagueErr.Message}
	}
	return &messages.LeagueReply{ErrorMessage: err.Error()}
}

// leagueReplyError returns the error that a reply carries, nil for success:
// a *LeagueError when it has a code, else an error with its message.
func leagueReplyError(reply *messages.LeagueReply) error {
	switch {
	case reply.GetErrorCode() != "":
		return &LeagueError{Code: reply.GetErrorCode(), Field: reply.GetErrorField(), Message: reply.GetErrorMessage()}
	case reply.GetErrorMessage() != "":
		return errors.New(reply.GetErrorMessage())
	default:
		return nil
	}
}
