package scoring

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

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

// Score returns the exact points of one row under the rule set, with no
// position: PositionWeights do not apply. A stat that stats does not return
// counts as 0. A value that is not a decimal number fails the row with an
// error that names the stat and the value.
//
// Score compiles the rule set and parses every stat it needs on each call.
// To score many rows under several rule sets, use a Scorer, which compiles
// once and parses each stat once per row.
func (r *RuleSet) Score(stats Lookup) (decimal.Decimal, error) {
	return r.ScorePosition("", stats)
}

// ScorePosition is Score for a row of the given position, such as "TE",
// which selects PositionWeights.
func (r *RuleSet) ScorePosition(position string, stats Lookup) (decimal.Decimal, error) {
	scorer := compileScorer([]*RuleSet{r}, false)

	points, err := scorer.ScorePosition(nil, position, stats)
	if err != nil {
		return decimal.Decimal{}, fmt.Errorf("rule set %s: %w", r.Name, err)
	}
	return points[0], nil
}

// ScoreRow is ScorePosition over a player-week and its position. Its stats
// must be sorted by name as for RowLookup.
func (r *RuleSet) ScoreRow(row *messages.PlayerWeek) (decimal.Decimal, error) {
	return r.ScorePosition(row.GetPosition(), RowLookup(row))
}

func parseStat(stat, text string) (number, error) {
	value, ok := parseNumber(text)
	if !ok {
		return number{}, fmt.Errorf("stat %s: invalid value %q: not a decimal number", stat, text)
	}
	return value, nil
}

// Scorer scores rows under several rule sets at once. It looks up and parses
// each stat that any of its rule sets needs once per row, and computes rule
// sets with equal Fingerprint once. A Scorer is safe for concurrent use.
type Scorer struct {
	ruleSets []*RuleSet

	// stats is every numeric stat that some rule set needs, sorted by name
	// so that ScoreRow can search a row's stats in one forward sweep.
	stats []string

	// lists is every text list stat that some rule set needs, sorted by
	// name. Only kicking needs one: fg_made_list.
	lists []string

	// plans are the compiled distinct rule sets, and ruleSets[i] scores as
	// plans[planOf[i]]. planOf is nil when every rule set is distinct.
	plans  []*plan
	planOf []int
}

type term struct {
	stat   int
	points number
}

// plan is a compiled rule set, with each stat as an index into Scorer.stats
// or Scorer.lists. The presets use only terms.
type plan struct {
	terms []term

	// byPosition maps a position to its complete terms: terms with the
	// position's weights in place of the general ones.
	byPosition map[string][]term

	bonuses    []bonusTerm
	fieldGoals *fieldGoalTerm
}

type bonusTerm struct {
	stat    int
	atLeast number
	points  number
}

// fieldGoalTerm scores each distance of fg_made_list by band.
type fieldGoalTerm struct {
	list  int // index into Scorer.lists of fg_made_list
	count int // index into Scorer.stats of fg_made
	bands []Band
	// points[i] is bands[i].Points.
	points []number
}

// maxStackStats is the number of stats whose parsed values Score and ScoreRow
// keep on the stack. A Scorer that needs more allocates per row.
const maxStackStats = 48

// NewScorer builds a Scorer for the given rule sets. It rejects a rule set
// that fails Validate, and two rule sets with the same name.
func NewScorer(ruleSets ...*RuleSet) (*Scorer, error) {
	names := make(map[string]bool, len(ruleSets))
	for _, ruleSet := range ruleSets {
		if err := ruleSet.Validate(); err != nil {
			return nil, err
		}
		if names[ruleSet.Name] {
			return nil, fmt.Errorf("rule set %q appears more than once", ruleSet.Name)
		}
		names[ruleSet.Name] = true
	}

	return compileScorer(ruleSets, true), nil
}

// compileScorer builds a Scorer without validating the rule sets. With
// shareEqual, rule sets with equal Fingerprint share one plan.
func compileScorer(ruleSets []*RuleSet, shareEqual bool) *Scorer {
	scorer := &Scorer{ruleSets: slices.Clone(ruleSets)}

	distinct := ruleSets
	if shareEqual {
		distinct, scorer.planOf = distinctRuleSets(ruleSets)
	}

	statSet := make(map[string]bool)
	listSet := make(map[string]bool)
	for _, ruleSet := range distinct {
		ruleSet.neededStats(statSet, listSet)
	}
	scorer.stats = slices.Sorted(maps.Keys(statSet))
	scorer.lists = slices.Sorted(maps.Keys(listSet))

	for _, ruleSet := range distinct {
		scorer.plans = append(scorer.plans, scorer.compile(ruleSet))
	}
	return scorer
}

// distinctRuleSets returns the rule sets with distinct Fingerprint, and the
// index into them of each rule set, or nil when all are distinct.
func distinctRuleSets(ruleSets []*RuleSet) ([]*RuleSet, []int) {
	var distinct []*RuleSet
	planOf := make([]int, len(ruleSets))
	byFingerprint := make(map[string]int, len(ruleSets))
	for i, ruleSet := range ruleSets {
		fingerprint := ruleSet.Fingerprint()
		index, ok := byFingerprint[fingerprint]
		if !ok {
			index = len(distinct)
			byFingerprint[fingerprint] = index
			distinct = append(distinct, ruleSet)
		}
		planOf[i] = index
	}

	if len(distinct) == len(ruleSets) {
		return ruleSets, nil
	}
	return distinct, planOf
}

// neededStats adds every numeric stat and text list stat that the rule set
// reads to the sets.
func (r *RuleSet) neededStats(stats, lists map[string]bool) {
	for _, weight := range r.generalWeights() {
		stats[weight.Stat] = true
	}
	for _, weights := range r.PositionWeights {
		for _, weight := range weights {
			stats[weight.Stat] = true
		}
	}
	for _, bonus := range r.Bonuses {
		stats[bonus.Stat] = true
	}
	if r.Kicking != nil && len(r.Kicking.FieldGoals) > 0 {
		stats["fg_made"] = true
		lists[fgMadeList] = true
	}
}

func (s *Scorer) compile(r *RuleSet) *plan {
	p := &plan{terms: s.terms(r.generalWeights())}

	if len(r.PositionWeights) > 0 {
		p.byPosition = make(map[string][]term, len(r.PositionWeights))
		for position := range r.PositionWeights {
			p.byPosition[position] = s.terms(r.positionWeights(position))
		}
	}

	for _, bonus := range r.Bonuses {
		p.bonuses = append(p.bonuses, bonusTerm{
			stat:    s.statIndex(bonus.Stat),
			atLeast: fromDecimal(bonus.AtLeast),
			points:  fromDecimal(bonus.Points),
		})
	}

	if r.Kicking != nil && len(r.Kicking.FieldGoals) > 0 {
		fieldGoals := &fieldGoalTerm{
			list:  slices.Index(s.lists, fgMadeList),
			count: s.statIndex("fg_made"),
			bands: slices.Clone(r.Kicking.FieldGoals),
		}
		for _, band := range fieldGoals.bands {
			fieldGoals.points = append(fieldGoals.points, fromDecimal(band.Points))
		}
		p.fieldGoals = fieldGoals
	}
	return p
}

func (s *Scorer) terms(weights []Weight) []term {
	terms := make([]term, 0, len(weights))
	for _, weight := range weights {
		terms = append(terms, term{stat: s.statIndex(weight.Stat), points: fromDecimal(weight.Points)})
	}
	return terms
}

func (s *Scorer) statIndex(stat string) int {
	index, _ := slices.BinarySearch(s.stats, stat)
	return index
}

// RuleSets returns the rule sets of the Scorer, in the order of Score's
// results.
func (s *Scorer) RuleSets() []*RuleSet {
	return slices.Clone(s.ruleSets)
}

// RuleSetCount returns the number of rule sets, without the copy that
// RuleSets makes.
func (s *Scorer) RuleSetCount() int {
	return len(s.ruleSets)
}

// RuleSetName returns the name of rule set i, in the order of RuleSets.
func (s *Scorer) RuleSetName(i int) string {
	return s.ruleSets[i].Name
}

// Score appends the exact points of one row under each rule set, in the order
// of RuleSets, to dst and returns the extended slice. It scores the row with
// no position, so PositionWeights do not apply. It fails like RuleSet.Score
// and then returns dst unchanged.
func (s *Scorer) Score(dst []decimal.Decimal, stats Lookup) ([]decimal.Decimal, error) {
	return s.ScorePosition(dst, "", stats)
}

// ScorePosition is Score for a row of the given position, such as "TE",
// which selects each rule set's PositionWeights.
func (s *Scorer) ScorePosition(dst []decimal.Decimal, position string, stats Lookup) ([]decimal.Decimal, error) {
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

	var listBuffer [1]listValue
	lists := listBuffer[:0]
	for _, stat := range s.lists {
		text, ok := stats(stat)
		lists = append(lists, listValue{text: text, present: ok})
	}

	return s.total(dst, position, values, lists)
}

// ScoreRow is ScorePosition over the stats and the position of a
// player-week, whose stats must be sorted by name as for RowLookup. Its error
// names the row's player_id, season and week.
func (s *Scorer) ScoreRow(dst []decimal.Decimal, row *messages.PlayerWeek) ([]decimal.Decimal, error) {
	var buffer [maxStackStats]number
	var listBuffer [1]listValue
	values, lists, err := s.rowValues(buffer[:0], listBuffer[:0], row)
	if err != nil {
		return dst, rowError(row, err)
	}

	dst, err = s.total(dst, row.GetPosition(), values, lists)
	if err != nil {
		return dst, rowError(row, err)
	}
	return dst, nil
}

// FormatRow appends the points of a player-week under each rule set, in
// the order of RuleSets and as FormatPoints writes them, to dst. It fails
// like ScoreRow and then returns dst unchanged. Unlike FormatPoints over
// ScoreRow's results, it allocates no big.Int for a total that the Scorer
// kept in int64 arithmetic and that is below 10 million points.
func (s *Scorer) FormatRow(dst []string, row *messages.PlayerWeek) ([]string, error) {
	var buffer [maxStackStats]number
	var listBuffer [1]listValue
	values, lists, err := s.rowValues(buffer[:0], listBuffer[:0], row)
	if err != nil {
		return dst, rowError(row, err)
	}

	start := len(dst)
	for i := range s.ruleSets {
		planIndex := i
		if s.planOf != nil {
			planIndex = s.planOf[i]
		}
		total, err := s.plans[planIndex].sum(row.GetPosition(), values, lists)
		if err != nil {
			return dst[:start], rowError(row, err)
		}
		dst = append(dst, total.format())
	}
	return dst, nil
}

// rowValues appends the parsed value of each of s.stats in row to values,
// and the text of each of s.lists to lists.
func (s *Scorer) rowValues(values []number, lists []listValue, row *messages.PlayerWeek) ([]number, []listValue, error) {
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
			return nil, nil, err
		}
		values = append(values, value)
	}

	for _, stat := range s.lists {
		i, found := findStat(row.GetStats(), stat)
		if !found {
			lists = append(lists, listValue{})
			continue
		}
		lists = append(lists, listValue{text: row.GetStats()[i].GetValue(), present: true})
	}
	return values, lists, nil
}

func rowError(row *messages.PlayerWeek, err error) error {
	return fmt.Errorf("score player_id %s season %d week %d: %w",
		row.GetPlayerId(), row.GetSeason(), row.GetWeek(), err)
}

// listValue is the text of a list stat such as fg_made_list.
type listValue struct {
	text    string
	present bool
}

// total appends the points of each rule set over values, which holds one
// parsed value per entry of s.stats, and lists, one per entry of s.lists. A
// zero value (present false) is a null stat. On error it returns dst
// unchanged.
func (s *Scorer) total(dst []decimal.Decimal, position string, values []number, lists []listValue) ([]decimal.Decimal, error) {
	start := len(dst)
	for _, p := range s.plans {
		points, err := p.total(position, values, lists)
		if err != nil {
			return dst[:start], err
		}
		dst = append(dst, points)
	}
	if s.planOf == nil {
		return dst, nil
	}

	// Some rule sets share a plan: spread the plans' points to the rule
	// sets.
	byPlan := slices.Clone(dst[start:])
	dst = dst[:start]
	for _, index := range s.planOf {
		dst = append(dst, byPlan[index])
	}
	return dst, nil
}

// one is the value that a bonus or a field goal multiplies its points by.
var one = number{mantissa: 1, fits: true, present: true}

func (p *plan) total(position string, values []number, lists []listValue) (decimal.Decimal, error) {
	total, err := p.sum(position, values, lists)
	if err != nil {
		return decimal.Decimal{}, err
	}
	return total.result(), nil
}

func (p *plan) sum(position string, values []number, lists []listValue) (sum, error) {
	terms := p.terms
	if p.byPosition != nil {
		if positionTerms, ok := p.byPosition[position]; ok {
			terms = positionTerms
		}
	}

	var total sum
	for _, term := range terms {
		value := values[term.stat]
		if value.present {
			total.add(value, term.points)
		}
	}

	for _, bonus := range p.bonuses {
		value := values[bonus.stat]
		if value.present && compareNumbers(value, bonus.atLeast) >= 0 {
			total.add(one, bonus.points)
		}
	}

	if p.fieldGoals != nil {
		if err := p.fieldGoals.add(&total, values, lists); err != nil {
			return sum{}, err
		}
	}
	return total, nil
}

// add adds the band points of each distance in fg_made_list. The list must
// have as many distances as fg_made, when fg_made is present.
func (f *fieldGoalTerm) add(total *sum, values []number, lists []listValue) error {
	list := lists[f.list]
	distances := 0
	for token := range strings.SplitSeq(list.text, ";") {
		token = strings.TrimSpace(token)
		if token == "" || token == "NA" {
			continue
		}

		distance, err := strconv.ParseInt(token, 10, 64)
		if err != nil || distance < 0 {
			return fmt.Errorf("stat %s: invalid value %q: distance %q is not a whole number of yards", fgMadeList, list.text, token)
		}
		for i, band := range f.bands {
			if band.contains(distance) {
				total.add(one, f.points[i])
				break
			}
		}
		distances++
	}

	made := values[f.count]
	if made.present && compareNumbers(made, number{mantissa: int64(distances), fits: true, present: true}) != 0 {
		return fmt.Errorf("stat %s: %q has %d distances but fg_made is %s", fgMadeList, list.text, distances, made.decimal())
	}
	return nil
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
	if text, ok := formatPointsFast(points); ok {
		return text
	}
	return RoundPoints(points).StringFixed(2)
}

// maxFastFormatDigits is the number of coefficient digits that
// formatPointsFast handles: the coefficient times 100, or plus half of any
// power of ten up to 10^16, still fits in an int64.
const maxFastFormatDigits = 15

// formatPointsFast is FormatPoints in int64 arithmetic, without the big.Int
// allocations of decimal rounding. It handles points with at most
// maxFastFormatDigits coefficient digits and an exponent from -18 to 0,
// which covers every total of the presets, and reports false otherwise.
func formatPointsFast(points decimal.Decimal) (string, bool) {
	exponent := points.Exponent()
	if exponent > 0 || exponent < -18 || points.NumDigits() > maxFastFormatDigits {
		return "", false
	}
	return formatScaled(points.CoefficientInt64(), exponent), true
}

// maxFastFormatCoefficient is 10^maxFastFormatDigits.
const maxFastFormatCoefficient = 1_000_000_000_000_000

// formatScaled formats coefficient × 10^exponent as FormatPoints does. The
// exponent must be from -18 to 0 and the coefficient's absolute value
// below maxFastFormatCoefficient.
func formatScaled(coefficient int64, exponent int32) string {
	// cents is the value × 100 rounded half-up (toward positive infinity):
	// floor((coefficient + divisor/2) / divisor).
	var cents int64
	if exponent >= -2 {
		cents = coefficient * powersOf10[2+exponent]
	} else {
		divisor := powersOf10[-2-exponent]
		shifted := coefficient + divisor/2
		cents = shifted / divisor
		if shifted%divisor != 0 && shifted < 0 {
			cents--
		}
	}

	var buffer [24]byte
	text := buffer[:0]
	if cents < 0 {
		text = append(text, '-')
		cents = -cents
	}
	text = strconv.AppendInt(text, cents/100, 10)
	text = append(text, '.', byte('0'+cents%100/10), byte('0'+cents%10))
	return string(text)
}
