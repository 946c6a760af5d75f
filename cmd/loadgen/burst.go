package main

import (
	"bufio"
	"compress/gzip"
	"encoding/csv"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// burstReplayUsage is the help text that `loadgen burst-replay -h` prints
// before the flags.
const burstReplayUsage = `usage: loadgen burst-replay -from DIR -out DIR -players N

Writes a replay directory whose week 1 is the whole week 1 of the replay in
-from, and whose later weeks hold only the rows of N players that played in
both week 2 and week 3. Each replay tick after the first then changes exactly
N players (their stats rows, and their injury report rows when they have
any), which is the burst that "make load BURST_PLAYERS=N" measures. The chosen
gsis_ids are written to burst_players.txt in -out, one per line.
`

// runBurstReplay runs the burst-replay subcommand.
func runBurstReplay(args []string, stdout, stderr io.Writer) int {
	flags := flag.NewFlagSet("loadgen burst-replay", flag.ContinueOnError)
	flags.SetOutput(stderr)
	flags.Usage = func() {
		fmt.Fprint(stderr, burstReplayUsage)
		flags.PrintDefaults()
	}
	from := flags.String("from", "testdata/replay/2024", "replay directory to derive from")
	out := flags.String("out", "", "directory to write; created if missing, and files in it are replaced")
	players := flags.Int("players", 300, "players whose rows each later week keeps")
	if err := flags.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	switch {
	case *out == "":
		fmt.Fprintf(stderr, "loadgen burst-replay: missing -out, the directory to write the replay to\n")
		return 2
	case *players <= 0:
		fmt.Fprintf(stderr, "loadgen burst-replay: invalid -players %d: use a number above 0\n", *players)
		return 2
	case flags.NArg() > 0:
		fmt.Fprintf(stderr, "loadgen burst-replay: unexpected arguments %q\n", flags.Args())
		return 2
	}

	chosen, err := writeBurstReplay(*from, *out, *players)
	if err != nil {
		fmt.Fprintf(stderr, "loadgen burst-replay: %v\n", err)
		return 1
	}
	fmt.Fprintf(stdout, "burst replay in %s: week 1 whole, later weeks only %d players\n", *out, len(chosen))
	return 0
}

// writeBurstReplay writes the derived replay of from into out (see
// burstReplayUsage) and returns the chosen gsis_ids, sorted.
func writeBurstReplay(from, out string, players int) ([]string, error) {
	if err := checkSeparateDirectories(from, out); err != nil {
		return nil, err
	}

	statsPaths, err := filepath.Glob(filepath.Join(from, "stats_player_week_*.csv.gz"))
	if err != nil || len(statsPaths) != 1 {
		return nil, fmt.Errorf("replay %s: expected one stats_player_week_SEASON.csv.gz, found %d", from, len(statsPaths))
	}
	stats, err := readCSV(statsPaths[0])
	if err != nil {
		return nil, err
	}

	chosen, err := chooseBurstPlayers(stats, players)
	if err != nil {
		return nil, fmt.Errorf("replay %s: %w", from, err)
	}
	keep := make(map[string]bool, len(chosen))
	for _, id := range chosen {
		keep[id] = true
	}

	if err := os.MkdirAll(out, 0o755); err != nil {
		return nil, fmt.Errorf("create %s: %w", out, err)
	}
	statsOut := filepath.Join(out, filepath.Base(statsPaths[0]))
	if err := writeCSV(statsOut, filterLaterWeeks(stats, "player_id", keep)); err != nil {
		return nil, err
	}

	entries, err := os.ReadDir(from)
	if err != nil {
		return nil, fmt.Errorf("read replay %s: %w", from, err)
	}
	for _, entry := range entries {
		name := entry.Name()
		switch {
		case entry.IsDir() || strings.HasPrefix(name, "stats_player_week_"):
			continue
		case strings.HasPrefix(name, "injuries_"):
			injuries, err := readCSV(filepath.Join(from, name))
			if err != nil {
				return nil, err
			}
			if err := writeCSV(filepath.Join(out, name), filterLaterWeeks(injuries, "gsis_id", keep)); err != nil {
				return nil, err
			}
		default:
			if err := copyFile(filepath.Join(from, name), filepath.Join(out, name)); err != nil {
				return nil, err
			}
		}
	}

	list := strings.Join(chosen, "\n") + "\n"
	if err := os.WriteFile(filepath.Join(out, "burst_players.txt"), []byte(list), 0o644); err != nil {
		return nil, fmt.Errorf("write burst players: %w", err)
	}
	return chosen, nil
}

// checkSeparateDirectories rejects an out directory that is from or lies
// inside it, because writing there would replace the source replay's files.
func checkSeparateDirectories(from, out string) error {
	absoluteFrom, err := filepath.Abs(from)
	if err != nil {
		return fmt.Errorf("invalid -from %q: %w", from, err)
	}
	absoluteOut, err := filepath.Abs(out)
	if err != nil {
		return fmt.Errorf("invalid -out %q: %w", out, err)
	}
	if resolved, err := filepath.EvalSymlinks(absoluteFrom); err == nil {
		absoluteFrom = resolved
	}
	if resolved, err := filepath.EvalSymlinks(absoluteOut); err == nil {
		absoluteOut = resolved
	}

	relative, err := filepath.Rel(absoluteFrom, absoluteOut)
	if err == nil && (relative == "." || !strings.HasPrefix(relative, "..")) {
		return fmt.Errorf("invalid -out %q: it is the -from replay %q or inside it; choose a directory outside it", out, from)
	}
	return nil
}

// csvTable is a whole CSV file: its header and records.
type csvTable struct {
	path    string
	header  []string
	records [][]string
}

// chooseBurstPlayers returns the first count gsis_ids, in sorted order, of
// the players with a stats row in both week 2 and week 3.
func chooseBurstPlayers(stats *csvTable, count int) ([]string, error) {
	idColumn, weekColumn := slices.Index(stats.header, "player_id"), slices.Index(stats.header, "week")
	if idColumn < 0 || weekColumn < 0 {
		return nil, fmt.Errorf("%s: missing player_id or week column", stats.path)
	}

	weeks := make(map[string]int) // bit 0: played week 2, bit 1: played week 3
	for _, record := range stats.records {
		switch record[weekColumn] {
		case "2":
			weeks[record[idColumn]] |= 1
		case "3":
			weeks[record[idColumn]] |= 2
		}
	}

	var both []string
	for id, played := range weeks {
		if played == 3 && id != "" {
			both = append(both, id)
		}
	}
	slices.Sort(both)
	if len(both) < count {
		return nil, fmt.Errorf("%s: only %d players have rows in weeks 2 and 3, fewer than the %d requested", stats.path, len(both), count)
	}
	return both[:count], nil
}

// filterLaterWeeks returns table with every week 1 row and the later rows
// whose idColumn is in keep. A row without a valid week is kept.
func filterLaterWeeks(table *csvTable, idColumn string, keep map[string]bool) *csvTable {
	idIndex, weekIndex := slices.Index(table.header, idColumn), slices.Index(table.header, "week")
	if idIndex < 0 || weekIndex < 0 {
		return table
	}

	filtered := &csvTable{path: table.path, header: table.header}
	for _, record := range table.records {
		week, err := strconv.Atoi(record[weekIndex])
		if err != nil || week <= 1 || keep[record[idIndex]] {
			filtered.records = append(filtered.records, record)
		}
	}
	return filtered
}

// readCSV reads a whole CSV file, gzip-compressed when its name ends in .gz.
func readCSV(path string) (*csvTable, error) {
	reader, closeFile, err := openMaybeGzip(path)
	if err != nil {
		return nil, err
	}
	defer closeFile()

	records, err := csv.NewReader(reader).ReadAll()
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	if len(records) == 0 {
		return nil, fmt.Errorf("read %s: no header", path)
	}
	return &csvTable{path: path, header: records[0], records: records[1:]}, nil
}

// openMaybeGzip opens the file at path for reading, through gzip when its
// name ends in .gz. The returned function closes it.
func openMaybeGzip(path string) (io.Reader, func(), error) {
	file, err := os.Open(path)
	if err != nil {
		return nil, nil, fmt.Errorf("read %s: %w", path, err)
	}
	if !strings.HasSuffix(path, ".gz") {
		return bufio.NewReader(file), func() { file.Close() }, nil
	}

	gz, err := gzip.NewReader(bufio.NewReader(file))
	if err != nil {
		file.Close()
		return nil, nil, fmt.Errorf("read %s: %w", path, err)
	}
	return gz, func() { gz.Close(); file.Close() }, nil
}

// writeCSV writes table to path, gzip-compressed when the name ends in .gz.
func writeCSV(path string, table *csvTable) (err error) {
	file, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	defer func() {
		if closeErr := file.Close(); err == nil && closeErr != nil {
			err = fmt.Errorf("write %s: %w", path, closeErr)
		}
	}()

	var writer io.Writer = file
	var gz *gzip.Writer
	if strings.HasSuffix(path, ".gz") {
		gz = gzip.NewWriter(file)
		writer = gz
	}

	rows := csv.NewWriter(writer)
	if err := rows.Write(table.header); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := rows.WriteAll(table.records); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if gz != nil {
		if err := gz.Close(); err != nil {
			return fmt.Errorf("write %s: %w", path, err)
		}
	}
	return nil
}

// copyFile copies the file at from to to, replacing it.
func copyFile(from, to string) error {
	data, err := os.ReadFile(from)
	if err != nil {
		return fmt.Errorf("copy %s: %w", from, err)
	}
	if err := os.WriteFile(to, data, 0o644); err != nil {
		return fmt.Errorf("copy %s: %w", from, err)
	}
	return nil
}
