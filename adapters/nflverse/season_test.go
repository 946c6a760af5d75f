package nflverse

import (
	"testing"
	"time"

	"github.com/nflsync/nflsync/messages"
)

func easternTime(year int, month time.Month, day, hour, minute int) time.Time {
	return time.Date(year, month, day, hour, minute, 0, 0, eastern)
}

func TestCurrentSeason(t *testing.T) {
	schedule := readScheduleTestdata(t, "schedules/games.csv")

	// The 2026 season opens on Wednesday 9 September 2026, a day before the
	// Thursday after Labor Day (7 September 2026).
	opener2026 := []*messages.Game{{
		GameId: "2026_01_NE_SEA", Season: 2026, Week: 1, GameType: "REG",
		KickoffUnix: easternTime(2026, 9, 9, 20, 20).Unix(), Status: messages.GameStatusScheduled,
	}}

	tests := []struct {
		name  string
		now   time.Time
		games []*messages.Game
		want  int32
	}{
		{"day before Thursday rollover", easternTime(2024, 9, 4, 23, 59), nil, 2023},
		{"Thursday after Labor Day", easternTime(2024, 9, 5, 0, 0), nil, 2024},
		{"Thursday rollover with schedule", easternTime(2024, 9, 5, 0, 0), schedule, 2024},
		{"August belongs to previous season", easternTime(2025, 8, 20, 12, 0), schedule, 2024},
		{"Wednesday opener date", easternTime(2026, 9, 9, 8, 0), opener2026, 2026},
		{"Wednesday opener without its row", easternTime(2026, 9, 9, 8, 0), nil, 2025},
		{"day before Wednesday opener", easternTime(2026, 9, 8, 23, 0), opener2026, 2025},
		{"January playoffs", easternTime(2025, 1, 18, 16, 30), schedule, 2024},
		{"Super Bowl night", easternTime(2025, 2, 9, 18, 30), schedule, 2024},
		{"December", easternTime(2025, 12, 20, 13, 0), schedule, 2025},
		{"UTC already September 5", time.Date(2024, 9, 5, 2, 0, 0, 0, time.UTC), nil, 2023},
	}
	for _, test := range tests {
		t.Run(test.name, func(t *testing.T) {
			if got := CurrentSeason(test.now, test.games); got != test.want {
				t.Errorf("CurrentSeason(%s) = %d, want %d", test.now, got, test.want)
			}
		})
	}
}

func TestCurrentWeekFromSchedule(t *testing.T) {
	latest := readScheduleTestdata(t, "schedules/games.csv")
	earlier := readScheduleTestdata(t, "schedules/2025-12-01/games.csv")
	anyTime := easternTime(2025, 12, 20, 12, 0)

	tests := []struct {
		name   string
		season int32
		games  []*messages.Game
		want   int32
	}{
		{"every 2024 game played", 2024, latest, 22},
		{"2025 weeks 1-15 played", 2025, latest, 16},
		{"2025 Monday night game of week 13 unplayed", 2025, earlier, 13},
	}
	for _, test := range tests {
		t.Run(test.name, func(t *testing.T) {
			if got := CurrentWeek(test.season, test.games, anyTime); got != test.want {
				t.Errorf("CurrentWeek(%d) = %d, want %d", test.season, got, test.want)
			}
		})
	}
}

func TestCurrentWeekDateRule(t *testing.T) {
	// Season 2026 has no rows, so the week counts from Thursday 10 September
	// 2026.
	schedule := readScheduleTestdata(t, "schedules/games.csv")

	tests := []struct {
		name string
		now  time.Time
		want int32
	}{
		{"before the Thursday", easternTime(2026, 9, 1, 12, 0), 1},
		{"the Thursday", easternTime(2026, 9, 10, 0, 0), 1},
		{"last minute of week 1", easternTime(2026, 9, 16, 23, 59), 1},
		{"second Thursday", easternTime(2026, 9, 17, 0, 0), 2},
		{"after daylight saving time ends", easternTime(2026, 11, 5, 0, 30), 9},
		{"Super Bowl month", easternTime(2027, 2, 7, 18, 30), 22},
		{"clamped to 22", easternTime(2027, 6, 1, 12, 0), 22},
	}
	for _, test := range tests {
		t.Run(test.name, func(t *testing.T) {
			if got := CurrentWeek(2026, schedule, test.now); got != test.want {
				t.Errorf("CurrentWeek(2026, %s) = %d, want %d", test.now, got, test.want)
			}
		})
	}
}
