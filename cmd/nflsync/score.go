package main

import (
	"bytes"
	"encoding/csv"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"

	"github.com/shopspring/decimal"

	"github.com/nflsync/nflsync/actors/scoring"
	"github.com/nflsync/nflsync/adapters/nflverse"
)

// runScore runs `nflsync score --stats FILE [--rules NAME]`: it prints
// player_id,season,week,points as CSV for every player row of a weekly stats
// file, in file order, with points rounded half-up to 2 places. Team rows
// carry no player_id and are not printed. It returns 0 on success, 1 when
// the file cannot be read or scored, and 2 on a usage error.
func runScore(args []string, stdout, stderr io.Writer) int {
	flags := flag.NewFlagSet("score", flag.ContinueOnError)
	flags.SetOutput(stderr)
	flags.Usage = func() {
		fmt.Fprintln(stderr, "Usage: nflsync score --stats FILE [--rules standard|half-ppr|ppr]")
		flags.PrintDefaults()
	}
	statsPath := flags.String("stats", "", "weekly player stats `FILE` of nflverse, stats_player_week or the older player_stats format, plain or gzip")
	rules := flags.String("rules", scoring.StandardName, "rule set: standard, half-ppr or ppr")

	if err := flags.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if flags.NArg() > 0 {
		fmt.Fprintf(stderr, "nflsync score: unexpected argument %q\n", flags.Arg(0))
		flags.Usage()
		return 2
	}
	if *statsPath == "" {
		fmt.Fprintln(stderr, "nflsync score: missing --stats FILE")
		flags.Usage()
		return 2
	}
	ruleSet, err := scoring.Preset(*rules)
	if err != nil {
		fmt.Fprintf(stderr, "nflsync score: --rules: %v\n", err)
		return 2
	}

	output, err := scoreStatsFile(*statsPath, ruleSet, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "nflsync score: %v\n", err)
		return 1
	}

	if _, err := stdout.Write(output); err != nil {
		fmt.Fprintf(stderr, "nflsync score: write output: %v\n", err)
		return 1
	}
	return 0
}

// scoreStatsFile reads and scores the whole file before returning any
// output, so that a row that fails to score leaves stdout empty instead of
// truncated. It reports rows that the reader dropped or collapsed on stderr.
func scoreStatsFile(path string, ruleSet *scoring.RuleSet, stderr io.Writer) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open stats file: %w", err)
	}
	defer f.Close()

	// The reader's errors name the file and the line.
	file, err := nflverse.ReadPlayerStats(f, path)
	if err != nil {
		return nil, err
	}
	if file.Quarantined > 0 || file.Duplicates > 0 || file.Conflicts > 0 {
		fmt.Fprintf(stderr, "nflsync score: %s: skipped %d rows with an invalid key, %d duplicate rows and %d conflicting duplicate rows (the first row of each key is scored)\n",
			path, file.Quarantined, file.Duplicates, file.Conflicts)
	}

	scorer, err := scoring.NewScorer(ruleSet)
	if err != nil {
		return nil, err
	}

	var output bytes.Buffer
	writer := csv.NewWriter(&output)
	if err := writer.Write([]string{"player_id", "season", "week", "points"}); err != nil {
		return nil, err
	}

	record := make([]string, 4)
	var points []decimal.Decimal
	for _, row := range file.Players {
		points, err = scorer.ScoreRow(points[:0], row)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}

		record[0] = row.GetPlayerId()
		record[1] = strconv.Itoa(int(row.GetSeason()))
		record[2] = strconv.Itoa(int(row.GetWeek()))
		record[3] = scoring.FormatPoints(points[0])
		if err := writer.Write(record); err != nil {
			return nil, err
		}
	}

	writer.Flush()
	if err := writer.Error(); err != nil {
		return nil, err
	}
	return output.Bytes(), nil
}
