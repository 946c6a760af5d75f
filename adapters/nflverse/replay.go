package nflverse

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"sync"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/nflsync/nflsync/messages"
)

// Replay is a messages.Source and messages.Clock that replays one finished
// season from a directory, one week per Load, so that a demo or an
// end-to-end test can watch a season unfold in minutes.
//
// The directory contains games.csv, nflverse's schedule, whose rows of other
// seasons are ignored. It also contains exactly one
// stats_player_week_<season>.csv.gz and, optionally, roster_<season>.csv and
// injuries_<season>.csv.
//
// Replay's clock starts 10 minutes before the first kickoff of week 1 and
// jumps forward on each Load (see Load). Its timers run in real time.
type Replay struct {
	dir    string
	season int32
	roster []*messages.RosterEntry

	injuries   map[int32][]*messages.Injury // by week; nil without an injuries file
	injuryRows int

	games       []*messages.Game // the season's games, in file order
	lastWeek    int32
	players     map[int32][]*messages.PlayerWeek // by week
	teams       map[int32][]*messages.TeamWeek   // by week
	quarantined int

	mu       sync.Mutex
	revealed int32
	now      time.Time
}

// statsFilePattern matches the weekly stats file name and captures its
// season.
var statsFilePattern = regexp.MustCompile(`^stats_player_week_(\d{4})\.csv\.gz$`)

// Replay's clock positions relative to kickoffs.
const (
	replayLeadTime  = 10 * time.Minute
	replayTrailTime = 6 * time.Hour
)

// NewReplay loads the files of dir once.
func NewReplay(dir string) (*Replay, error) {
	season, statsPath, err := findStatsFile(dir)
	if err != nil {
		return nil, err
	}

	stats, err := readFile(statsPath, ReadPlayerStats)
	if err != nil {
		return nil, fmt.Errorf("replay %s: %w", dir, err)
	}
	schedule, err := readFile(filepath.Join(dir, "games.csv"), ReadSchedule)
	if err != nil {
		return nil, fmt.Errorf("replay %s: %w", dir, err)
	}

	r := &Replay{
		dir:         dir,
		season:      season,
		players:     make(map[int32][]*messages.PlayerWeek),
		teams:       make(map[int32][]*messages.TeamWeek),
		quarantined: stats.Quarantined,
	}

	rosterPath := filepath.Join(dir, fmt.Sprintf("roster_%d.csv", season))
	if _, err := os.Stat(rosterPath); err == nil {
		if r.roster, err = readFile(rosterPath, ReadRoster); err != nil {
			return nil, fmt.Errorf("replay %s: %w", dir, err)
		}
	}

	injuriesPath := filepath.Join(dir, fmt.Sprintf("injuries_%d.csv", season))
	if _, err := os.Stat(injuriesPath); err == nil {
		injuries, err := readFile(injuriesPath, ReadInjuries)
		if err != nil {
			return nil, fmt.Errorf("replay %s: %w", dir, err)
		}
		r.injuries = make(map[int32][]*messages.Injury)
		for _, injury := range injuries {
			if injury.GetSeason() == season {
				r.injuries[injury.GetWeek()] = append(r.injuries[injury.GetWeek()], injury)
				r.injuryRows++
			}
		}
	}

	for _, game := range schedule {
		if game.GetSeason() == season {
			r.games = append(r.games, game)
			r.lastWeek = max(r.lastWeek, game.GetWeek())
		}
	}
	for _, row := range stats.Players {
		if row.GetSeason() == season {
			r.players[row.GetWeek()] = append(r.players[row.GetWeek()], row)
			r.lastWeek = max(r.lastWeek, row.GetWeek())
		}
	}
	for _, row := range stats.Teams {
		if row.GetSeason() == season {
			r.teams[row.GetWeek()] = append(r.teams[row.GetWeek()], row)
		}
	}
	if r.lastWeek == 0 {
		return nil, fmt.Errorf("replay %s: no games or player rows of season %d", dir, season)
	}

	r.now = thursdayAfterLaborDay(season)
	if first, _, ok := r.kickoffs(1); ok {
		r.now = first.Add(-replayLeadTime)
	}

	slog.Info("loaded replay", "dir", dir, "season", season, "weeks", r.lastWeek,
		"games", len(r.games), "player_rows", len(stats.Players), "team_rows", len(stats.Teams),
		"roster_rows", len(r.roster), "injury_rows", r.injuryRows, "quarantined", stats.Quarantined,
		"duplicates", stats.Duplicates, "conflicts", stats.Conflicts)
	return r, nil
}

// findStatsFile returns the season and path of the one weekly stats file in
// dir.
func findStatsFile(dir string) (int32, string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return 0, "", fmt.Errorf("replay %s: %w", dir, err)
	}

	var names []string
	for _, entry := range entries {
		if statsFilePattern.MatchString(entry.Name()) {
			names = append(names, entry.Name())
		}
	}
	if len(names) != 1 {
		return 0, "", fmt.Errorf("replay %s: found %d files named stats_player_week_<season>.csv.gz, expected exactly one", dir, len(names))
	}

	season, err := strconv.ParseInt(statsFilePattern.FindStringSubmatch(names[0])[1], 10, 32)
	if err != nil {
		return 0, "", fmt.Errorf("replay %s: season of %s: %w", dir, names[0], err)
	}
	return int32(season), filepath.Join(dir, names[0]), nil
}

func readFile[T any](path string, read func(r io.Reader, name string) (T, error)) (T, error) {
	var zero T
	f, err := os.Open(path)
	if err != nil {
		return zero, err
	}
	defer f.Close()

	return read(f, filepath.Base(path))
}

// Load reveals one more week and returns the season as it stood then: the
// first call reveals week 1 (its player rows and its games' final scores),
// the next week 2, and so on through the last week. Games of weeks not yet
// revealed have no scores and status scheduled.
//
// After revealing week k the clock moves to 10 minutes before the first
// kickoff of week k+1, so that a scheduler finds games about to start. After
// the last week it moves to 6 hours after the last kickoff, and further
// calls return the full season unchanged. Snapshot.Season and Week follow
// CurrentSeason and CurrentWeek on the new clock and the revealed schedule,
// so Week is k+1 until the last week is revealed.
//
// Rosters is the whole roster file on every call. Injuries are the rows of
// the revealed weeks. InjuriesAvailable is true only when the injuries file
// has rows for the last revealed week, so it is false for week 4 of the
// 2024 test file, which has no week 4.
//
// Games are copies, but PlayerWeeks, TeamWeeks, Rosters and Injuries are
// shared between calls and must be treated as read-only. The now argument is ignored because the
// replay has its own clock.
func (r *Replay) Load(ctx context.Context, now time.Time) (*messages.Snapshot, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}

	r.mu.Lock()
	defer r.mu.Unlock()

	if r.revealed < r.lastWeek {
		r.revealed++
		r.advanceClock()
	}

	snapshot := &messages.Snapshot{Quarantined: r.quarantined, Rosters: r.roster}
	for _, game := range r.games {
		game = proto.Clone(game).(*messages.Game)
		if game.GetWeek() > r.revealed {
			game.AwayScore = nil
			game.HomeScore = nil
			game.Overtime = false
			game.Status = messages.GameStatusScheduled
		}
		snapshot.Games = append(snapshot.Games, game)
	}
	for week := int32(minWeek); week <= r.revealed; week++ {
		snapshot.PlayerWeeks = append(snapshot.PlayerWeeks, r.players[week]...)
		snapshot.TeamWeeks = append(snapshot.TeamWeeks, r.teams[week]...)
		snapshot.Injuries = append(snapshot.Injuries, r.injuries[week]...)
	}
	snapshot.InjuriesAvailable = len(r.injuries[r.revealed]) > 0

	snapshot.Season = CurrentSeason(r.now, snapshot.Games)
	snapshot.Week = CurrentWeek(snapshot.Season, snapshot.Games, r.now)
	return snapshot, nil
}

// advanceClock moves the clock after week r.revealed has been revealed. The
// clock never moves back. r.mu must be held.
func (r *Replay) advanceClock() {
	next := r.now
	if r.revealed < r.lastWeek {
		if first, _, ok := r.kickoffs(r.revealed + 1); ok {
			next = first.Add(-replayLeadTime)
		} else if _, last, ok := r.kickoffs(r.revealed); ok {
			next = last.Add(replayTrailTime)
		} else {
			next = r.now.Add(7 * 24 * time.Hour)
		}
	} else {
		for week := r.lastWeek; week >= minWeek; week-- {
			if _, last, ok := r.kickoffs(week); ok {
				next = last.Add(replayTrailTime)
				break
			}
		}
	}

	if next.After(r.now) {
		r.now = next
	}
}

// kickoffs returns the first and last known kickoff of week's games.
func (r *Replay) kickoffs(week int32) (first, last time.Time, ok bool) {
	var times []int64
	for _, game := range r.games {
		if game.GetWeek() == week && game.GetKickoffUnix() != 0 {
			times = append(times, game.GetKickoffUnix())
		}
	}
	if len(times) == 0 {
		return time.Time{}, time.Time{}, false
	}
	return time.Unix(slices.Min(times), 0), time.Unix(slices.Max(times), 0), true
}

// Now returns the replay clock's time.
func (r *Replay) Now() time.Time {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.now
}

// AfterFunc calls f after d of real time, not replay time, so that a
// scheduler's intervals pass as usual while Load moves the clock.
func (r *Replay) AfterFunc(d time.Duration, f func()) func() bool {
	return time.AfterFunc(d, f).Stop
}

// Season returns the season of the replayed stats file.
func (r *Replay) Season() int32 { return r.season }

// RevealedWeek returns the last week revealed by Load, or 0 before the first
// Load.
func (r *Replay) RevealedWeek() int32 {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.revealed
}

// Roster returns the entries of roster_<season>.csv, or nil when the
// directory has none. The entries are shared and read-only.
func (r *Replay) Roster() []*messages.RosterEntry { return r.roster }

var (
	_ messages.Source = (*Replay)(nil)
	_ messages.Clock  = (*Replay)(nil)
)
