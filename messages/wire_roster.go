package messages

import "encoding/json"

// Server message types for roster and injury changes, sent on the player's
// stream.
const (
	TypeRosterUpdate = "ROSTER_UPDATE"
	TypeInjuryUpdate = "INJURY_UPDATE"
)

// RosterUpdateData is the "data" object of a ROSTER_UPDATE message.
type RosterUpdateData struct {
	PlayerID     string `json:"player_id"`
	Season       int32  `json:"season"`
	FullName     string `json:"full_name"`
	Team         string `json:"team"`
	Position     string `json:"position"`
	Status       string `json:"status"`
	JerseyNumber string `json:"jersey_number,omitempty"`
	// Previous holds the earlier value of each changed field.
	Previous  map[string]*string `json:"previous"`
	FirstSeen bool               `json:"first_seen"`
}

// InjuryUpdateData is the "data" object of an INJURY_UPDATE message.
type InjuryUpdateData struct {
	PlayerID            string             `json:"player_id"`
	Season              int32              `json:"season"`
	Week                int32              `json:"week"`
	FullName            string             `json:"full_name"`
	Team                string             `json:"team"`
	ReportStatus        string             `json:"report_status"`
	ReportPrimaryInjury string             `json:"report_primary_injury"`
	PracticeStatus      string             `json:"practice_status"`
	Previous            map[string]*string `json:"previous"`
	FirstSeen           bool               `json:"first_seen"`
}

type rowUpdateMessage struct {
	Type string `json:"type"`
	Data any    `json:"data"`
}

// EncodeRosterUpdate returns the ROSTER_UPDATE message for a changed roster
// row.
func EncodeRosterUpdate(entry *RosterEntry, changes []*FieldChange, firstSeen bool) ([]byte, error) {
	return json.Marshal(rowUpdateMessage{Type: TypeRosterUpdate, Data: RosterUpdateData{
		PlayerID:     entry.GetGsisId(),
		Season:       entry.GetSeason(),
		FullName:     entry.GetFullName(),
		Team:         entry.GetTeam(),
		Position:     entry.GetPosition(),
		Status:       entry.GetStatus(),
		JerseyNumber: entry.GetJerseyNumber(),
		Previous:     previousValues(changes),
		FirstSeen:    firstSeen,
	}})
}

// EncodeInjuryUpdate returns the INJURY_UPDATE message for a changed injury
// report row.
func EncodeInjuryUpdate(injury *Injury, changes []*FieldChange, firstSeen bool) ([]byte, error) {
	return json.Marshal(rowUpdateMessage{Type: TypeInjuryUpdate, Data: InjuryUpdateData{
		PlayerID:            injury.GetGsisId(),
		Season:              injury.GetSeason(),
		Week:                injury.GetWeek(),
		FullName:            injury.GetFullName(),
		Team:                injury.GetTeam(),
		ReportStatus:        injury.GetReportStatus(),
		ReportPrimaryInjury: injury.GetReportPrimaryInjury(),
		PracticeStatus:      injury.GetPracticeStatus(),
		Previous:            previousValues(changes),
		FirstSeen:           firstSeen,
	}})
}
