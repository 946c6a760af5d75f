package main

import (
	"bufio"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"strings"
)

// playerSource is the gsis_ids the sessions choose from and, when read from
// a weekly stats file, the number of player rows of each week.
type playerSource struct {
	ids         []string
	rowsPerWeek map[int]int

	// rosterable are the gsis_ids with a row in the file's first week.
	// A replay server has read them at its first tick, and it rejects a
	// league that rosters a player it has not read. Nil means every id.
	rosterable []string
}

// rosterableIDs returns the ids that league rosters may take.
func (s *playerSource) rosterableIDs() []string {
	if s.rosterable != nil {
		return s.rosterable
	}
	return s.ids
}

// readPlayerIDs reads one gsis_id per line; blank lines and lines starting
// with '#' are skipped.
func readPlayerIDs(path string) (*playerSource, error) {
	file, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read player ids: %w", err)
	}
	defer file.Close()

	seen := make(map[string]bool)
	source := &playerSource{}
	scanner := bufio.NewScanner(file)
	for scanner.Scan() {
		id := strings.TrimSpace(scanner.Text())
		if id == "" || strings.HasPrefix(id, "#") || seen[id] {
			continue
		}
		seen[id] = true
		source.ids = append(source.ids, id)
	}
	if err := scanner.Err(); err != nil {
		return nil, fmt.Errorf("read player ids %s: %w", path, err)
	}
	if len(source.ids) == 0 {
		return nil, fmt.Errorf("read player ids %s: no gsis_id in the file", path)
	}
	return source, nil
}

// readStatsPlayers reads the player_id and week columns of an nflverse
// weekly stats file, plain or gzip, such as the replay's
// stats_player_week_2024.csv.gz.
func readStatsPlayers(path string) (*playerSource, error) {
	reader, closeFile, err := openMaybeGzip(path)
	if err != nil {
		return nil, fmt.Errorf("read stats file: %w", err)
	}
	defer closeFile()

	rows := csv.NewReader(reader)
	rows.ReuseRecord = true
	header, err := rows.Read()
	if err != nil {
		return nil, fmt.Errorf("read header of %s: %w", path, err)
	}
	idColumn, weekColumn := slices.Index(header, "player_id"), slices.Index(header, "week")
	if idColumn < 0 || weekColumn < 0 {
		return nil, fmt.Errorf("read stats file %s: missing player_id or week column", path)
	}

	source := &playerSource{rowsPerWeek: make(map[int]int)}
	seen := make(map[string]bool)
	firstWeekOf := make(map[string]int)
	for {
		record, err := rows.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("read stats file %s: %w", path, err)
		}

		id := record[idColumn]
		week, err := strconv.Atoi(record[weekColumn])
		if err == nil {
			source.rowsPerWeek[week]++
		}
		if id != "" && !seen[id] {
			seen[id] = true
			source.ids = append(source.ids, strings.Clone(id))
		}
		if first, known := firstWeekOf[id]; id != "" && err == nil && (!known || week < first) {
			firstWeekOf[id] = week
		}
	}

	firstWeek := -1
	for week := range source.rowsPerWeek {
		if firstWeek < 0 || week < firstWeek {
			firstWeek = week
		}
	}
	source.rosterable = []string{}
	for _, id := range source.ids {
		if first, known := firstWeekOf[id]; known && first == firstWeek {
			source.rosterable = append(source.rosterable, id)
		}
	}
	if len(source.ids) == 0 {
		return nil, fmt.Errorf("read stats file %s: no player rows", path)
	}
	return source, nil
}

// choosePlayers returns count distinct gsis_ids, chosen uniformly by random.
func choosePlayers(random *rand.Rand, ids []string, count int) []string {
	count = min(count, len(ids))
	chosen := make([]string, 0, count)
	for _, index := range random.Perm(len(ids))[:count] {
		chosen = append(chosen, ids[index])
	}
	return chosen
}
