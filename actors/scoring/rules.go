// Package scoring computes fantasy points of a player-week from its stat
// columns, in exact decimals.
//
// A rule set is data: a list of weights, each the points per unit of one
// numeric stat column of the nflverse weekly player stats file, plus optional
// per-position weights, threshold bonuses, kicking rules (field goals by
// distance) and team defense (DST) rules. The presets Standard, HalfPPR and
// PPR reproduce nflverse's own fantasy_points (standard) and
// fantasy_points_ppr. A league's custom rule set arrives as JSON (see
// ParseRuleSet) and may start from a preset.
//
// Points stay exact until output: FormatPoints rounds them half-up to 2
// decimal places, where half-up means toward positive infinity for negative
// totals too (-1.305 becomes -1.30).
package scoring

import (
	"fmt"
	"strings"

	"github.com/shopspring/decimal"
)

// Weight is the points per unit of one stat column. A stat that is null or
// absent from a row counts as 0.
type Weight struct {
	// Stat is the column name of the weekly player stats file, such as
	// passing_yards.
	Stat string

	// Points per unit of the stat, such as 0.04 for passing_yards (1 point
	// per 25 yards).
	Points decimal.Decimal
}

// RuleSet is a named fantasy scoring system. A player-week scores the sum of
// value × points over its weights (with the row's position's weights in
// place of the general ones), plus its threshold bonuses, plus its field
// goals by distance. A team defense scores under Defense (see ScoreDefense).
type RuleSet struct {
	// Name identifies the rule set in output and in Points.RuleSet, such as
	// "ppr".
	Name string

	// Base is the name of the preset that Weights started from, or "" for
	// none. It does not change scoring, because Weights holds every weight.
	// It keeps the JSON form short: MarshalJSON writes only the weights
	// that differ from the base.
	Base string

	Weights []Weight

	// PositionWeights maps a position, as in PlayerWeek.Position ("TE"), to
	// weights that replace the general weight of the same stat for rows of
	// that position. A stat without a position weight keeps its general
	// weight.
	PositionWeights map[string][]Weight

	// Bonuses are threshold bonuses. Each one whose threshold a row reaches
	// adds its points, so tiers on the same stat add up.
	Bonuses []Bonus

	// Kicking scores field goals by distance, misses and extra points. Nil
	// scores none of them beyond Weights.
	Kicking *Kicking

	// Defense scores team defense units (DST) in ScoreDefense. Nil means the
	// rule set has no DST scoring.
	Defense *Defense
}

// Names of the preset rule sets.
const (
	StandardName = "standard"
	HalfPPRName  = "half-ppr"
	PPRName      = "ppr"
)

// The preset rule sets. They are shared, so treat them as read-only and build
// a new RuleSet for custom scoring.
var (
	// Standard scores no points per reception. It equals nflverse's
	// fantasy_points.
	Standard = newPreset(StandardName, decimal.Zero)

	// HalfPPR scores 0.5 points per reception.
	HalfPPR = newPreset(HalfPPRName, decimal.New(5, -1))

	// PPR scores 1 point per reception. It equals nflverse's
	// fantasy_points_ppr.
	PPR = newPreset(PPRName, decimal.New(1, 0))
)

// newPreset builds the nflverse formula (nflfastR calculate_stats) with the
// given points per reception. Fumbles lost are the three per-play-type
// columns, not fumbles_lost_total, because nflverse's fantasy_points uses
// those three, and the total differs from their sum in some rows.
func newPreset(name string, receptionPoints decimal.Decimal) *RuleSet {
	passingYard := decimal.New(4, -2) // 1 point per 25 yards
	rushingYard := decimal.New(1, -1) // 1 point per 10 yards
	passingTD := decimal.New(4, 0)
	touchdown := decimal.New(6, 0)
	twoPoint := decimal.New(2, 0)
	turnover := decimal.New(-2, 0)

	weights := []Weight{
		{Stat: "passing_yards", Points: passingYard},
		{Stat: "passing_tds", Points: passingTD},
		{Stat: "passing_interceptions", Points: turnover},
		{Stat: "passing_2pt_conversions", Points: twoPoint},
		{Stat: "sack_fumbles_lost", Points: turnover},
		{Stat: "rushing_yards", Points: rushingYard},
		{Stat: "rushing_tds", Points: touchdown},
		{Stat: "rushing_2pt_conversions", Points: twoPoint},
		{Stat: "rushing_fumbles_lost", Points: turnover},
		{Stat: "receiving_yards", Points: rushingYard},
		{Stat: "receiving_tds", Points: touchdown},
		{Stat: "receiving_2pt_conversions", Points: twoPoint},
		{Stat: "receiving_fumbles_lost", Points: turnover},
		{Stat: "special_teams_tds", Points: touchdown},
	}
	if !receptionPoints.IsZero() {
		weights = append(weights, Weight{Stat: "receptions", Points: receptionPoints})
	}

	return &RuleSet{Name: name, Weights: weights}
}

// Presets returns the preset rule sets: standard, half-PPR and PPR.
func Presets() []*RuleSet {
	return []*RuleSet{Standard, HalfPPR, PPR}
}

// Preset returns the preset rule set with the given name. An unknown name
// gets an error that lists the valid names.
func Preset(name string) (*RuleSet, error) {
	for _, ruleSet := range Presets() {
		if ruleSet.Name == name {
			return ruleSet, nil
		}
	}

	return nil, fmt.Errorf("unknown rule set %q: valid names are %s", name, strings.Join(PresetNames(), ", "))
}

// PresetNames returns the names of the preset rule sets, in the order of
// Presets.
func PresetNames() []string {
	presets := Presets()
	names := make([]string, len(presets))
	for i, ruleSet := range presets {
		names[i] = ruleSet.Name
	}
	return names
}
