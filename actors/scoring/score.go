package scoring

import (
	"fmt"
	"slices"

	"github.com/shopspring/decimal"

	"github.com/nflsync/nflsync/messages"
)

// Lookup returns the value of one stat column of a row as a decimal string,
// and ok=false when the stat is null or absent.
type Lookup func(stat string) (value string, ok bool)

// RowLookup returns a Lookup over the stats of a player-week, which must be
// sorted by name as messages.PlayerWeek requires.
//
// NOTE: the lookup binary searches without checking the order, because a
// check costs a pass over every stat of every row. In an unsorted row it
// can miss a stat and score it as null.
func RowLookup(row *messages.PlayerWeek) Lookup {
	stats := row.GetStats()
	return func(name string) (string, bool) {
		i, found := findStat(stats, name)
		if !found {
			return "", false
		}
		return stats[i].GetValue(), true
	}
}

// findStat binary searches stats, sorted by name, for name. It returns the
// index of the stat, or where it would be inserted.
func findStat(stats []*messages.Stat, name string) (int, bool) {
	low, high := 0, len(stats)
	for low < high {
		middle := int(uint(low+high) >> 1)
		if stats[middle].GetName() < name {
			low = middle + 1
		} else {
			high = middle
		}
	}
	return low, low < len(stats) && stats[low].GetName() == name
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

	// stats is every stat that some rule set weights, sorted by name so that
	// ScoreRow can search a row's stats in one forward sweep.
	stats []string

	// terms[i] are the weights of ruleSets[i], with each stat as an index
	// into stats.
	terms [][]term
}

type term struct {
	stat   int
	points number
}

// maxStackStats is the number of stats whose parsed values Score and ScoreRow
// keep on the stack. A Scorer that needs more allocates per row.
const maxStackStats = 48

// NewScorer builds a Scorer for the given rule sets. It rejects a rule set
// that fails Validate, and two rule sets with the same name.
func NewScorer(ruleSets ...*RuleSet) (*Scorer, error) {
	names := make(map[string]bool, len(ruleSets))
	statSet := make(map[string]bool)
	for _, ruleSet := range ruleSets {
		if err := ruleSet.Validate(); err != nil {
			return nil, err
		}
		if names[ruleSet.Name] {
			return nil, fmt.Errorf("rule set %q appears more than once", ruleSet.Name)
		}
		names[ruleSet.Name] = true

		for _, weight := range ruleSet.Weights {
			statSet[weight.Stat] = true
		}
	}

	scorer := &Scorer{ruleSets: slices.Clone(ruleSets)}
	for stat := range statSet {
		scorer.stats = append(scorer.stats, stat)
	}
	slices.Sort(scorer.stats)

	for _, ruleSet := range ruleSets {
		terms := make([]term, 0, len(ruleSet.Weights))
		for _, weight := range ruleSet.Weights {
			index, _ := slices.BinarySearch(scorer.stats, weight.Stat)
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
	var buffer [maxStackStats]number
	values := buffer[:0]
	if len(s.stats) > len(buffer) {
		values = make([]number, 0, len(s.stats))
	}

	for _, stat := range s.stats {
		text, ok := stats(stat)
		if !ok {
			values = append(values, number{})
			continue
		}

		value, err := parseStat(stat, text)
		if err != nil {
			return dst, err
		}
		values = append(values, value)
	}

	return s.total(dst, values), nil
}

// ScoreRow is Score over the stats of a player-week, which must be sorted by
// name as for RowLookup. Its error names the row's player_id, season and
// week.
func (s *Scorer) ScoreRow(dst []decimal.Decimal, row *messages.PlayerWeek) ([]decimal.Decimal, error) {
	var buffer [maxStackStats]number
	values := buffer[:0]
	if len(s.stats) > len(buffer) {
		values = make([]number, 0, len(s.stats))
	}

	// Both s.stats and the row's stats are sorted, so each search starts
	// where the previous one ended.
	stats := row.GetStats()
	for _, stat := range s.stats {
		i, found := findStat(stats, stat)
		stats = stats[i:]
		if !found {
			values = append(values, number{})
			continue
		}

		value, err := parseStat(stat, stats[0].GetValue())
		if err != nil {
			return dst, fmt.Errorf("score player_id %s season %d week %d: %w",
				row.GetPlayerId(), row.GetSeason(), row.GetWeek(), err)
		}
		values = append(values, value)
	}

	return s.total(dst, values), nil
}

// total appends the sum of each rule set's terms over values, which holds
// one parsed value per entry of s.stats. A zero value (present false) is a
// null stat.
func (s *Scorer) total(dst []decimal.Decimal, values []number) []decimal.Decimal {
	for _, terms := range s.terms {
		var total sum
		for _, term := range terms {
			value := values[term.stat]
			if value.present {
				total.add(value, term.points)
			}
		}
		dst = append(dst, total.result())
	}
	return dst
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
