package scoring

import (
	"fmt"
	"slices"
	"strings"

	"github.com/shopspring/decimal"

	"github.com/nflsync/nflsync/messages"
)

// Lookup returns the value of one stat column of a row as a decimal string,
// and ok=false when the stat is null or absent.
type Lookup func(stat string) (value string, ok bool)

// RowLookup returns a Lookup over the stats of a player-week. It binary
// searches the stats, which are sorted by name, and falls back to a linear
// search when a hand-built row is not sorted.
func RowLookup(row *messages.PlayerWeek) Lookup {
	stats := row.GetStats()
	sorted := slices.IsSortedFunc(stats, compareStatNames)

	return func(name string) (string, bool) {
		if !sorted {
			for _, stat := range stats {
				if stat.GetName() == name {
					return stat.GetValue(), true
				}
			}
			return "", false
		}

		i, found := slices.BinarySearchFunc(stats, name, func(stat *messages.Stat, name string) int {
			return strings.Compare(stat.GetName(), name)
		})
		if !found {
			return "", false
		}
		return stats[i].GetValue(), true
	}
}

func compareStatNames(a, b *messages.Stat) int {
	return strings.Compare(a.GetName(), b.GetName())
}

// Score returns the exact points of one row under the rule set. A stat that
// stats does not return counts as 0. A value that is not a decimal number
// fails the row with an error that names the stat and the value.
//
// Score parses every stat it needs on each call. To score many rows under
// several rule sets, use a Scorer, which parses each stat once per row.
func (r *RuleSet) Score(stats Lookup) (decimal.Decimal, error) {
	var total sum
	for _, weight := range r.Weights {
		text, ok := stats(weight.Stat)
		if !ok {
			continue
		}

		value, err := parseStat(weight.Stat, text)
		if err != nil {
			return decimal.Decimal{}, fmt.Errorf("rule set %s: %w", r.Name, err)
		}
		total.add(value, fromDecimal(weight.Points))
	}

	return total.result(), nil
}

func parseStat(stat, text string) (number, error) {
	value, ok := parseNumber(text)
	if !ok {
		return number{}, fmt.Errorf("stat %s: invalid value %q: not a decimal number", stat, text)
	}
	return value, nil
}

// Scorer scores rows under several rule sets at once. It looks up and parses
// each stat that any of its rule sets needs once per row. A Scorer is safe
// for concurrent use.
type Scorer struct {
	ruleSets []*RuleSet

	// stats is every stat that some rule set weights, in the order in which
	// Score looks them up.
	stats []string

	// terms[i] are the weights of ruleSets[i], with each stat as an index
	// into stats.
	terms [][]term
}

type term struct {
	stat   int
	points number
}

// NewScorer builds a Scorer for the given rule sets. It rejects a rule set
// that fails Validate, and two rule sets with the same name.
func NewScorer(ruleSets ...*RuleSet) (*Scorer, error) {
	scorer := &Scorer{ruleSets: slices.Clone(ruleSets)}
	statIndex := make(map[string]int)
	names := make(map[string]bool, len(ruleSets))

	for _, ruleSet := range ruleSets {
		if err := ruleSet.Validate(); err != nil {
			return nil, err
		}
		if names[ruleSet.Name] {
			return nil, fmt.Errorf("rule set %q appears more than once", ruleSet.Name)
		}
		names[ruleSet.Name] = true

		terms := make([]term, 0, len(ruleSet.Weights))
		for _, weight := range ruleSet.Weights {
			index, ok := statIndex[weight.Stat]
			if !ok {
				index = len(scorer.stats)
				statIndex[weight.Stat] = index
				scorer.stats = append(scorer.stats, weight.Stat)
			}
			terms = append(terms, term{stat: index, points: fromDecimal(weight.Points)})
		}
		scorer.terms = append(scorer.terms, terms)
	}

	return scorer, nil
}

// RuleSets returns the rule sets of the Scorer, in the order of Score's
// results.
func (s *Scorer) RuleSets() []*RuleSet {
	return slices.Clone(s.ruleSets)
}

// Score appends the exact points of one row under each rule set, in the order
// of RuleSets, to dst and returns the extended slice. It fails like
// RuleSet.Score and then returns dst unchanged.
func (s *Scorer) Score(dst []decimal.Decimal, stats Lookup) ([]decimal.Decimal, error) {
	// Rule sets rarely weight more than a few dozen stats, so the parsed
	// values usually stay on the stack.
	var buffer [48]number
	var presentBuffer [48]bool
	values := buffer[:0]
	present := presentBuffer[:0]
	if len(s.stats) > len(buffer) {
		values = make([]number, 0, len(s.stats))
		present = make([]bool, 0, len(s.stats))
	}

	for _, stat := range s.stats {
		text, ok := stats(stat)
		if !ok {
			values = append(values, number{})
			present = append(present, false)
			continue
		}

		value, err := parseStat(stat, text)
		if err != nil {
			return dst, err
		}
		values = append(values, value)
		present = append(present, true)
	}

	for _, terms := range s.terms {
		var total sum
		for _, term := range terms {
			if present[term.stat] {
				total.add(values[term.stat], term.points)
			}
		}
		dst = append(dst, total.result())
	}

	return dst, nil
}

// ScoreRow is Score over the stats of a player-week, with the row's
// player_id, season and week in the error.
func (s *Scorer) ScoreRow(dst []decimal.Decimal, row *messages.PlayerWeek) ([]decimal.Decimal, error) {
	points, err := s.Score(dst, RowLookup(row))
	if err != nil {
		return dst, fmt.Errorf("score player_id %s season %d week %d: %w",
			row.GetPlayerId(), row.GetSeason(), row.GetWeek(), err)
	}
	return points, nil
}

// halfCent is added before rounding down, so that a total exactly halfway
// between two cents goes to the upper one.
var halfCent = decimal.New(5, -3)

// RoundPoints rounds points half-up to 2 decimal places. Half-up means
// toward positive infinity, for negative totals too: 1.305 becomes 1.31 and
// -1.305 becomes -1.30. shopspring's Round would give -1.31, because it
// rounds half away from zero.
//
// With whole-number stats, every preset total is a multiple of 0.02, so only
// custom weights can produce a total that rounding changes.
func RoundPoints(points decimal.Decimal) decimal.Decimal {
	return points.Add(halfCent).RoundFloor(2)
}

// FormatPoints formats points rounded by RoundPoints with exactly 2 decimal
// places: "18.58", "0.00", "-1.30".
func FormatPoints(points decimal.Decimal) string {
	return RoundPoints(points).StringFixed(2)
}
