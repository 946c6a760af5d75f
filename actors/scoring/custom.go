package scoring

import (
	"github.com/shopspring/decimal"
)

// Bonus adds Points once when a row's Stat is at least AtLeast. The
// threshold is inclusive: a bonus at 100 rushing_yards is paid for exactly
// 100. A null stat never reaches a threshold.
type Bonus struct {
	Stat    string
	AtLeast decimal.Decimal // greater than 0
	Points  decimal.Decimal
}

// Band scores a whole number (a field goal distance in yards, or points
// allowed) from Min to Max, both inclusive. A nil Max means no upper limit.
type Band struct {
	Min    int64
	Max    *int64
	Points decimal.Decimal
}

// contains reports whether value lies in the band.
func (b Band) contains(value int64) bool {
	return value >= b.Min && (b.Max == nil || value <= *b.Max)
}

// Kicking scores a kicker's week.
//
// Field goals score by distance: each distance in fg_made_list falls in one
// of FieldGoals, which must cover every distance from 0 yards up without gap
// or overlap. FGMissed, PATMade and PATMissed are points per unit of the
// columns fg_missed, pat_made and pat_missed. In nflverse, fg_missed and
// pat_missed do not count blocked kicks (fg_att = fg_made + fg_missed +
// fg_blocked), so a league that penalizes blocked kicks weights fg_blocked
// and pat_blocked in RuleSet.Weights.
type Kicking struct {
	FieldGoals []Band
	FGMissed   decimal.Decimal
	PATMade    decimal.Decimal
	PATMissed  decimal.Decimal
}

// weights returns the per-unit kicking rules as weights, leaving out zeros.
func (k *Kicking) weights() []Weight {
	if k == nil {
		return nil
	}

	var weights []Weight
	for _, w := range []Weight{
		{Stat: "fg_missed", Points: k.FGMissed},
		{Stat: "pat_made", Points: k.PATMade},
		{Stat: "pat_missed", Points: k.PATMissed},
	} {
		if !w.Points.IsZero() {
			weights = append(weights, w)
		}
	}
	return weights
}

// Defense scores a team defense unit (DST) for one team and week, in
// RuleSet.ScoreDefense.
//
// Weights are points per unit of a column summed over the team's player rows
// of the week: the weekly stats file has no DST row, so a team's sacks are
// the sum of its players' def_sacks. TeamWeights are points per unit of a
// column of the team-level row (TeamWeek), which in the 2023-2025 files
// carries only penalties, penalty_yards and def_safeties. PointsAllowed
// scores the opponent's final score from the schedule, in bands that must
// cover every score from 0 up without gap or overlap.
type Defense struct {
	Weights       []Weight
	TeamWeights   []Weight
	PointsAllowed []Band
}

// StandardDefense returns a common DST formula that nflverse weekly data
// supports: sack 1, interception 2, fumble recovery 2, safety 2, defensive
// touchdown 6, special teams touchdown 6, and points allowed 0: 10, 1-6: 7,
// 7-13: 4, 14-20: 1, 21-27: 0, 28-34: -1, 35 or more: -4.
//
// The columns are summed over the team's player rows: def_sacks,
// def_interceptions, fumble_recovery_opp (the team recovered an opponent's
// fumble, on defense or special teams), def_safeties, def_tds and
// special_teams_tds (return touchdowns of the team's players).
//
// The team-level row's def_safeties is left out. In the 2023-2025 files,
// both teams' scores in the schedule add up from the player rows without
// it, so it does not count safeties that the team scored.
//
// Some DST rules are not in nflverse weekly data, so they are not scored.
// Blocked kicks by the defense appear only as fg_blocked, pat_blocked and
// pt_blocked in the opponent's rows. Yards allowed and two-point
// conversion returns are missing. Points allowed count every point of the
// opponent's schedule score, including points that the team's own offense
// gave up, such as a pick-six.
func StandardDefense() *Defense {
	one := decimal.NewFromInt(1)
	two := decimal.NewFromInt(2)
	six := decimal.NewFromInt(6)

	return &Defense{
		Weights: []Weight{
			{Stat: "def_sacks", Points: one},
			{Stat: "def_interceptions", Points: two},
			{Stat: "fumble_recovery_opp", Points: two},
			{Stat: "def_safeties", Points: two},
			{Stat: "def_tds", Points: six},
			{Stat: "special_teams_tds", Points: six},
		},
		PointsAllowed: []Band{
			{Min: 0, Max: int64Pointer(0), Points: decimal.NewFromInt(10)},
			{Min: 1, Max: int64Pointer(6), Points: decimal.NewFromInt(7)},
			{Min: 7, Max: int64Pointer(13), Points: decimal.NewFromInt(4)},
			{Min: 14, Max: int64Pointer(20), Points: one},
			{Min: 21, Max: int64Pointer(27), Points: decimal.Zero},
			{Min: 28, Max: int64Pointer(34), Points: decimal.NewFromInt(-1)},
			{Min: 35, Points: decimal.NewFromInt(-4)},
		},
	}
}

func int64Pointer(n int64) *int64 {
	return &n
}

// generalWeights returns Weights followed by the kicking weights.
func (r *RuleSet) generalWeights() []Weight {
	kicking := r.Kicking.weights()
	if len(kicking) == 0 {
		return r.Weights
	}

	weights := make([]Weight, 0, len(r.Weights)+len(kicking))
	weights = append(weights, r.Weights...)
	return append(weights, kicking...)
}

// positionWeights returns the general weights with the position's weights
// in place of the general weight of each stat they name.
func (r *RuleSet) positionWeights(position string) []Weight {
	general := r.generalWeights()
	overrides := r.PositionWeights[position]

	weights := make([]Weight, 0, len(general)+len(overrides))
	for _, weight := range general {
		if !hasStat(overrides, weight.Stat) {
			weights = append(weights, weight)
		}
	}
	return append(weights, overrides...)
}

func hasStat(weights []Weight, stat string) bool {
	for _, weight := range weights {
		if weight.Stat == stat {
			return true
		}
	}
	return false
}

// pointsOf returns the points of stat among weights, 0 when absent.
func pointsOf(weights []Weight, stat string) decimal.Decimal {
	for _, weight := range weights {
		if weight.Stat == stat {
			return weight.Points
		}
	}
	return decimal.Zero
}

// ScoredStats returns the stat columns that Score reads under r: the stats
// of its general and position weights and bonuses, and for kicking by
// distance fg_made and fg_made_list. A change to any other column leaves a
// player-week's points as they were. Team defense columns are left out,
// because ScoreDefense scores team rows.
func (r *RuleSet) ScoredStats() map[string]bool {
	scored := make(map[string]bool)
	r.neededStats(scored, scored)
	return scored
}
