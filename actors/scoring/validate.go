package scoring

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/shopspring/decimal"
)

// FieldError is an invalid field of a rule set. Field is the path of the
// field in the JSON form, such as "bonuses[0].at_least" or
// "position_overrides.TE.receptions".
type FieldError struct {
	RuleSet string
	Field   string
	Reason  string
}

func (e *FieldError) Error() string {
	if e.RuleSet == "" {
		return fmt.Sprintf("rule set: %s: %s", e.Field, e.Reason)
	}
	return fmt.Sprintf("rule set %q: %s: %s", e.RuleSet, e.Field, e.Reason)
}

// Limits on the numbers of a rule set. They keep every product of a stat and
// a weight cheap to compute, and no real league needs more.
const (
	maxPointsPlaces = 10
	maxAbsolute     = 1_000_000_000

	// maxBandValue is the highest Min or Max of a band: far beyond any
	// kick distance in yards or any score.
	maxBandValue = 1_000_000
)

var maxAbsoluteDecimal = decimal.NewFromInt(maxAbsolute)

// Validate checks the rule set and returns a *FieldError for the first
// invalid field:
//   - Name is set, and Base is "" or a preset name.
//   - Every weight, position weight and bonus names one of NumericStats, and
//     no stat has two weights in the same list.
//   - A position is 1 to 5 upper-case letters, as nflverse writes it ("TE").
//   - Every number has at most 10 decimal places and an absolute value of at
//     most 1e9.
//   - A bonus threshold is greater than 0, and no two bonuses share both
//     stat and threshold.
//   - Field goal bands and points-allowed bands cover every value from 0 up
//     without gap or overlap. Sorted by Min, the first starts at 0 and each
//     next one starts right after the previous Max. Only the last has no
//     Max.
//   - A kicking rule and a weight do not both score fg_missed, pat_made or
//     pat_missed.
func (r *RuleSet) Validate() error {
	if r == nil {
		return errors.New("rule set is nil")
	}

	v := validator{ruleSet: r.Name}
	if r.Name == "" {
		return v.fail("name", "missing: a rule set needs a name")
	}
	if r.Base != "" {
		if _, err := Preset(r.Base); err != nil {
			return v.fail("base", fmt.Sprintf("unknown preset %q: valid names are %s",
				r.Base, strings.Join(PresetNames(), ", ")))
		}
	}

	v.weights("multipliers", r.Weights)
	for _, position := range slices.Sorted(maps.Keys(r.PositionWeights)) {
		path := "position_overrides." + position
		v.position(path, position)
		v.weights(path, r.PositionWeights[position])
	}
	v.bonuses(r.Bonuses)
	v.kicking(r.Kicking, r.Weights)
	v.defense(r.Defense)

	return v.err
}

// validator keeps the first error, so each check reads as a plain sequence.
type validator struct {
	ruleSet string
	err     error
}

func (v *validator) fail(field, reason string) error {
	if v.err == nil {
		v.err = &FieldError{RuleSet: v.ruleSet, Field: field, Reason: reason}
	}
	return v.err
}

func (v *validator) weights(path string, weights []Weight) {
	seen := make(map[string]bool, len(weights))
	for i, weight := range weights {
		if weight.Stat == "" {
			v.fail(fmt.Sprintf("%s[%d]", path, i), "missing stat name")
			continue
		}

		field := path + "." + weight.Stat
		v.stat(field, weight.Stat)
		if seen[weight.Stat] {
			v.fail(field, "stat has more than one weight")
		}
		seen[weight.Stat] = true
		v.number(field, weight.Points)
	}
}

// stat checks that stat is a numeric stat column, and suggests the closest
// names when it is not.
func (v *validator) stat(field, stat string) {
	if IsNumericStat(stat) {
		return
	}

	reason := fmt.Sprintf("unknown stat %q", stat)
	switch {
	case stat == fgMadeList || stat == "fg_missed_list" || stat == "fg_blocked_list":
		reason = fmt.Sprintf("stat %q is a text list of kick distances: score field goals by distance with kicking.fg_bands", stat)
	case stat == "position_group" || stat == "headshot_url":
		reason = fmt.Sprintf("stat %q is a text column, not a number", stat)
	default:
		if closest := closestStats(stat); len(closest) > 0 {
			reason += "; did you mean " + strings.Join(closest, ", ") + "?"
		} else {
			reason += "; NumericStats lists the valid names"
		}
	}
	v.fail(field, reason)
}

func (v *validator) position(field, position string) {
	valid := len(position) >= 1 && len(position) <= 5
	for _, c := range position {
		if c < 'A' || c > 'Z' {
			valid = false
		}
	}
	if !valid {
		v.fail(field, fmt.Sprintf("invalid position %q: use the upper-case code of the position column, such as TE or QB", position))
	}
}

// number checks the limits on the size and the decimal places of d. It
// checks the exponent first, because comparing a value such as 1e9999
// would build a 10,000-digit integer.
func (v *validator) number(field string, d decimal.Decimal) {
	normalized := d.Normalize()
	exponent := normalized.Exponent()
	if exponent < -maxPointsPlaces {
		v.fail(field, fmt.Sprintf("%s has more than %d decimal places", d, maxPointsPlaces))
		return
	}
	if exponent > 9 || normalized.Abs().GreaterThan(maxAbsoluteDecimal) {
		v.fail(field, fmt.Sprintf("%s is out of range: the absolute value must be at most %d", d, maxAbsolute))
	}
}

func (v *validator) bonuses(bonuses []Bonus) {
	type key struct{ stat, atLeast string }
	seen := make(map[key]bool, len(bonuses))

	for i, bonus := range bonuses {
		path := fmt.Sprintf("bonuses[%d]", i)
		if bonus.Stat == "" {
			v.fail(path+".stat", "missing stat name")
			continue
		}
		v.stat(path+".stat", bonus.Stat)

		v.number(path+".at_least", bonus.AtLeast)
		if !bonus.AtLeast.IsPositive() {
			v.fail(path+".at_least", fmt.Sprintf("must be greater than 0, got %s", bonus.AtLeast))
		}
		v.number(path+".points", bonus.Points)

		k := key{bonus.Stat, bonus.AtLeast.Normalize().String()}
		if seen[k] {
			v.fail(path, fmt.Sprintf("another bonus has the same stat %s and at_least %s", bonus.Stat, bonus.AtLeast))
		}
		seen[k] = true
	}
}

func (v *validator) kicking(kicking *Kicking, weights []Weight) {
	if kicking == nil {
		return
	}

	v.bands("kicking.fg_bands", kicking.FieldGoals)
	for _, rule := range []struct {
		field, stat string
		points      decimal.Decimal
	}{
		{"kicking.fg_missed", "fg_missed", kicking.FGMissed},
		{"kicking.pat_made", "pat_made", kicking.PATMade},
		{"kicking.pat_missed", "pat_missed", kicking.PATMissed},
	} {
		v.number(rule.field, rule.points)
		if !rule.points.IsZero() && hasStat(weights, rule.stat) {
			v.fail(rule.field, fmt.Sprintf("multipliers.%s also scores %s: keep one of the two", rule.stat, rule.stat))
		}
	}
}

func (v *validator) defense(defense *Defense) {
	if defense == nil {
		return
	}

	v.weights("defense.multipliers", defense.Weights)
	v.weights("defense.team_multipliers", defense.TeamWeights)
	v.bands("defense.points_allowed", defense.PointsAllowed)
}

// bands checks that bands cover every whole number from 0 up exactly once.
// An empty list is valid and scores nothing.
func (v *validator) bands(path string, bands []Band) {
	for i, band := range bands {
		field := fmt.Sprintf("%s[%d]", path, i)
		if band.Min < 0 || band.Min > maxBandValue {
			v.fail(field+".min", fmt.Sprintf("must be from 0 to %d, got %d", maxBandValue, band.Min))
		}
		if band.Max != nil && *band.Max > maxBandValue {
			v.fail(field+".max", fmt.Sprintf("must be at most %d, got %d", maxBandValue, *band.Max))
		}
		if band.Max != nil && *band.Max < band.Min {
			v.fail(field+".max", fmt.Sprintf("%d is less than min %d", *band.Max, band.Min))
		}
		v.number(field+".points", band.Points)
	}
	if v.err != nil || len(bands) == 0 {
		return
	}

	order := make([]int, len(bands))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int {
		return compareInt64(bands[a].Min, bands[b].Min)
	})

	if first := order[0]; bands[first].Min != 0 {
		v.fail(fmt.Sprintf("%s[%d].min", path, first),
			fmt.Sprintf("the lowest band starts at %d: bands must start at 0", bands[first].Min))
		return
	}
	for n := 1; n < len(order); n++ {
		previous, current := bands[order[n-1]], bands[order[n]]
		field := fmt.Sprintf("%s[%d].min", path, order[n])
		switch {
		case previous.Max == nil || current.Min <= *previous.Max:
			v.fail(field, fmt.Sprintf("band from %d overlaps band %s[%d]", current.Min, path, order[n-1]))
			return
		case current.Min > *previous.Max+1:
			v.fail(field, fmt.Sprintf("gap: no band covers %d to %d", *previous.Max+1, current.Min-1))
			return
		}
	}
	if last := order[len(order)-1]; bands[last].Max != nil {
		v.fail(fmt.Sprintf("%s[%d].max", path, last),
			fmt.Sprintf("the highest band ends at %d: leave out max on the highest band so that every value is covered", *bands[last].Max))
	}
}

func compareInt64(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
