package nflverse

import (
	"time"

	"github.com/nflsync/nflsync/messages"
)

// CurrentSeason returns the NFL season that now belongs to, given the loaded
// schedule.
//
// Season Y starts at midnight US Eastern time on the Thursday after Labor
// Day (the first Monday of September) of year Y, or on the date of season
// Y's first game in games when that is earlier. The 2026 season, for
// example, opens on Wednesday 9 September 2026. Before that moment it is
// still season Y-1, so January and February playoffs belong to the previous
// year's season. nflreadpy uses the Thursday rule alone.
func CurrentSeason(now time.Time, games []*messages.Game) int32 {
	year := int32(now.In(eastern).Year())
	if now.Before(seasonStart(year, games)) {
		return year - 1
	}
	return year
}

// CurrentWeek returns the current week of season.
//
// With games of season in the schedule it is the lowest week that has an
// unplayed game (no score), or the last week when every game is played; now
// is then not used. Without them it is the number of weeks since the
// Thursday after Labor Day of the season's year, 1-based and clamped to
// 1-22.
func CurrentWeek(season int32, games []*messages.Game, now time.Time) int32 {
	var lowestUnplayed, last int32
	for _, game := range games {
		if game.GetSeason() != season {
			continue
		}

		last = max(last, game.GetWeek())
		played := game.AwayScore != nil && game.HomeScore != nil
		if !played && (lowestUnplayed == 0 || game.GetWeek() < lowestUnplayed) {
			lowestUnplayed = game.GetWeek()
		}
	}
	if lowestUnplayed > 0 {
		return lowestUnplayed
	}
	if last > 0 {
		return last
	}

	// Count calendar days in US Eastern time so that a daylight saving
	// change does not move the week boundary by an hour.
	days := civilDays(now.In(eastern)) - civilDays(thursdayAfterLaborDay(season))
	if days < 0 {
		return minWeek
	}
	return int32(min(days/7+1, maxWeek))
}

// seasonStart returns the moment season year begins (see CurrentSeason).
func seasonStart(year int32, games []*messages.Game) time.Time {
	start := thursdayAfterLaborDay(year)
	for _, game := range games {
		if game.GetSeason() != year || game.GetKickoffUnix() == 0 {
			continue
		}

		kickoff := time.Unix(game.GetKickoffUnix(), 0).In(eastern)
		gameday := time.Date(kickoff.Year(), kickoff.Month(), kickoff.Day(), 0, 0, 0, 0, eastern)
		if gameday.Before(start) {
			start = gameday
		}
	}
	return start
}

// thursdayAfterLaborDay returns midnight US Eastern time of the Thursday
// after the first Monday of September of year.
func thursdayAfterLaborDay(year int32) time.Time {
	september := time.Date(int(year), time.September, 1, 0, 0, 0, 0, eastern)
	untilMonday := (int(time.Monday) - int(september.Weekday()) + 7) % 7
	return september.AddDate(0, 0, untilMonday+3)
}

// civilDays returns the number of days from 1970-01-01 to t's calendar date
// in t's location.
func civilDays(t time.Time) int64 {
	date := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
	return date.Unix() / 86400
}
