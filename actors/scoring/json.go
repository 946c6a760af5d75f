package scoring

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"

	"github.com/shopspring/decimal"
)

// The JSON form of a rule set, as the league API accepts and stores it:
//
//	{"name": "te-premium", "base": "ppr",
//	 "multipliers": {"passing_tds": 6},
//	 "position_overrides": {"TE": {"receptions": 1.5}},
//	 "bonuses": [{"stat": "rushing_yards", "at_least": 100, "points": 3}],
//	 "kicking": {"fg_bands": [{"min": 0, "max": 39, "points": 3},
//	                          {"min": 40, "max": 49, "points": 4},
//	                          {"min": 50, "points": 5}],
//	             "fg_missed": -1, "pat_made": 1, "pat_missed": -1},
//	 "defense": {"multipliers": {"def_sacks": 1, "def_interceptions": 2},
//	             "team_multipliers": {},
//	             "points_allowed": [{"min": 0, "max": 0, "points": 10},
//	                                {"min": 1, "points": 0}]}}
//
// Only name is required. "multipliers" are added to the base preset's
// weights or replace them stat by stat. Points, at_least and multipliers
// are JSON numbers or decimal strings ("0.04"), read exactly as decimals.
// Band bounds min and max are whole numbers, and a band without max has no
// upper limit.

type ruleSetJSON struct {
	Name              string                            `json:"name"`
	Base              string                            `json:"base,omitempty"`
	Multipliers       map[string]jsonDecimal            `json:"multipliers,omitempty"`
	PositionOverrides map[string]map[string]jsonDecimal `json:"position_overrides,omitempty"`
	Bonuses           []bonusJSON                       `json:"bonuses,omitempty"`
	Kicking           *kickingJSON                      `json:"kicking,omitempty"`
	Defense           *defenseJSON                      `json:"defense,omitempty"`
}

type bonusJSON struct {
	Stat    string      `json:"stat"`
	AtLeast jsonDecimal `json:"at_least"`
	Points  jsonDecimal `json:"points"`
}

type bandJSON struct {
	Min    *int64      `json:"min"`
	Max    *int64      `json:"max,omitempty"`
	Points jsonDecimal `json:"points"`
}

type kickingJSON struct {
	FGBands   []bandJSON   `json:"fg_bands,omitempty"`
	FGMissed  *jsonDecimal `json:"fg_missed,omitempty"`
	PATMade   *jsonDecimal `json:"pat_made,omitempty"`
	PATMissed *jsonDecimal `json:"pat_missed,omitempty"`
}

type defenseJSON struct {
	Multipliers     map[string]jsonDecimal `json:"multipliers,omitempty"`
	TeamMultipliers map[string]jsonDecimal `json:"team_multipliers,omitempty"`
	PointsAllowed   []bandJSON             `json:"points_allowed,omitempty"`
}

// jsonDecimal is a decimal written as a JSON number and read from a JSON
// number or a decimal string. set is false when the field was absent.
type jsonDecimal struct {
	value decimal.Decimal
	set   bool
}

func newJSONDecimal(d decimal.Decimal) jsonDecimal {
	return jsonDecimal{value: d, set: true}
}

func (d *jsonDecimal) UnmarshalJSON(data []byte) error {
	text := string(data)
	if strings.HasPrefix(text, `"`) {
		if err := json.Unmarshal(data, &text); err != nil {
			return err
		}
	} else if text == "null" || text == "true" || text == "false" || strings.ContainsAny(text, "[{") {
		return fmt.Errorf("invalid number %s: use a JSON number or a decimal string", text)
	}

	value, err := decimal.NewFromString(strings.TrimSpace(text))
	if err != nil {
		return fmt.Errorf("invalid number %q: use a JSON number or a decimal string such as \"0.04\"", text)
	}
	*d = newJSONDecimal(value)
	return nil
}

func (d jsonDecimal) MarshalJSON() ([]byte, error) {
	return []byte(d.value.String()), nil
}

// ParseRuleSet reads the JSON form of a rule set and validates it. It
// rejects unknown fields, trailing data after the object, and any rule set
// that fails Validate. With "base", the rule set starts from that preset's
// weights.
func ParseRuleSet(data []byte) (*RuleSet, error) {
	decoder := json.NewDecoder(bytes.NewReader(data))
	decoder.DisallowUnknownFields()

	var form ruleSetJSON
	if err := decoder.Decode(&form); err != nil {
		return nil, fmt.Errorf("parse rule set: %w", err)
	}
	if _, err := decoder.Token(); !errors.Is(err, io.EOF) {
		return nil, errors.New("parse rule set: unexpected data after the JSON object")
	}

	ruleSet, err := form.ruleSet()
	if err != nil {
		return nil, err
	}
	if err := ruleSet.Validate(); err != nil {
		return nil, err
	}
	return ruleSet, nil
}

// ruleSet converts the JSON form. It fails on required fields that are
// absent, and leaves every other check to Validate.
func (form *ruleSetJSON) ruleSet() (*RuleSet, error) {
	missing := func(field string) error {
		return &FieldError{RuleSet: form.Name, Field: field, Reason: "missing"}
	}

	r := &RuleSet{Name: form.Name, Base: form.Base}
	if form.Base != "" {
		base, err := Preset(form.Base)
		if err != nil {
			return nil, &FieldError{RuleSet: form.Name, Field: "base", Reason: err.Error()}
		}
		r.Weights = slices.Clone(base.Weights)
	}
	for i, weight := range r.Weights {
		if points, ok := form.Multipliers[weight.Stat]; ok {
			r.Weights[i].Points = points.value
		}
	}
	for _, stat := range slices.Sorted(maps.Keys(form.Multipliers)) {
		if !hasStat(r.Weights, stat) {
			r.Weights = append(r.Weights, Weight{Stat: stat, Points: form.Multipliers[stat].value})
		}
	}

	if len(form.PositionOverrides) > 0 {
		r.PositionWeights = make(map[string][]Weight, len(form.PositionOverrides))
		for position, multipliers := range form.PositionOverrides {
			r.PositionWeights[position] = weightsFromJSON(multipliers)
		}
	}

	for i, bonus := range form.Bonuses {
		path := fmt.Sprintf("bonuses[%d]", i)
		if !bonus.AtLeast.set {
			return nil, missing(path + ".at_least")
		}
		if !bonus.Points.set {
			return nil, missing(path + ".points")
		}
		r.Bonuses = append(r.Bonuses, Bonus{Stat: bonus.Stat, AtLeast: bonus.AtLeast.value, Points: bonus.Points.value})
	}

	if k := form.Kicking; k != nil {
		bands, err := bandsFromJSON(form.Name, "kicking.fg_bands", k.FGBands)
		if err != nil {
			return nil, err
		}
		r.Kicking = &Kicking{
			FieldGoals: bands,
			FGMissed:   k.FGMissed.decimalOrZero(),
			PATMade:    k.PATMade.decimalOrZero(),
			PATMissed:  k.PATMissed.decimalOrZero(),
		}
	}

	if d := form.Defense; d != nil {
		bands, err := bandsFromJSON(form.Name, "defense.points_allowed", d.PointsAllowed)
		if err != nil {
			return nil, err
		}
		r.Defense = &Defense{
			Weights:       weightsFromJSON(d.Multipliers),
			TeamWeights:   weightsFromJSON(d.TeamMultipliers),
			PointsAllowed: bands,
		}
	}
	return r, nil
}

func (d *jsonDecimal) decimalOrZero() decimal.Decimal {
	if d == nil {
		return decimal.Zero
	}
	return d.value
}

// weightsFromJSON returns the weights of a multipliers object, sorted by
// stat.
func weightsFromJSON(multipliers map[string]jsonDecimal) []Weight {
	var weights []Weight
	for _, stat := range slices.Sorted(maps.Keys(multipliers)) {
		weights = append(weights, Weight{Stat: stat, Points: multipliers[stat].value})
	}
	return weights
}

func bandsFromJSON(ruleSet, path string, forms []bandJSON) ([]Band, error) {
	var bands []Band
	for i, form := range forms {
		field := fmt.Sprintf("%s[%d]", path, i)
		if form.Min == nil {
			return nil, &FieldError{RuleSet: ruleSet, Field: field + ".min", Reason: "missing"}
		}
		if !form.Points.set {
			return nil, &FieldError{RuleSet: ruleSet, Field: field + ".points", Reason: "missing"}
		}
		bands = append(bands, Band{Min: *form.Min, Max: form.Max, Points: form.Points.value})
	}
	return bands, nil
}

// MarshalJSON writes the JSON form that ParseRuleSet reads. With a Base,
// "multipliers" lists only the weights that differ from the base preset,
// and a base weight that the rule set lacks is written as 0.
func (r *RuleSet) MarshalJSON() ([]byte, error) {
	form := ruleSetJSON{Name: r.Name, Base: r.Base}

	var base []Weight
	if r.Base != "" {
		preset, err := Preset(r.Base)
		if err != nil {
			return nil, fmt.Errorf("marshal rule set %q: %w", r.Name, err)
		}
		base = preset.Weights
	}
	form.Multipliers = make(map[string]jsonDecimal)
	for _, weight := range r.Weights {
		if !hasStat(base, weight.Stat) || !pointsOf(base, weight.Stat).Equal(weight.Points) {
			form.Multipliers[weight.Stat] = newJSONDecimal(weight.Points)
		}
	}
	for _, weight := range base {
		if !hasStat(r.Weights, weight.Stat) {
			form.Multipliers[weight.Stat] = newJSONDecimal(decimal.Zero)
		}
	}

	if len(r.PositionWeights) > 0 {
		form.PositionOverrides = make(map[string]map[string]jsonDecimal, len(r.PositionWeights))
		for position, weights := range r.PositionWeights {
			form.PositionOverrides[position] = weightsToJSON(weights, false)
		}
	}

	for _, bonus := range r.Bonuses {
		form.Bonuses = append(form.Bonuses, bonusJSON{
			Stat:    bonus.Stat,
			AtLeast: newJSONDecimal(bonus.AtLeast),
			Points:  newJSONDecimal(bonus.Points),
		})
	}

	if k := r.Kicking; k != nil {
		form.Kicking = &kickingJSON{
			FGBands:   bandsToJSON(k.FieldGoals, false),
			FGMissed:  nonZeroJSON(k.FGMissed),
			PATMade:   nonZeroJSON(k.PATMade),
			PATMissed: nonZeroJSON(k.PATMissed),
		}
	}

	if d := r.Defense; d != nil {
		form.Defense = &defenseJSON{
			Multipliers:     weightsToJSON(d.Weights, false),
			TeamMultipliers: weightsToJSON(d.TeamWeights, false),
			PointsAllowed:   bandsToJSON(d.PointsAllowed, false),
		}
	}

	return json.Marshal(form)
}

func nonZeroJSON(d decimal.Decimal) *jsonDecimal {
	if d.IsZero() {
		return nil
	}
	value := newJSONDecimal(d)
	return &value
}

// weightsToJSON returns weights as a multipliers object, without zero
// weights when dropZero is set.
func weightsToJSON(weights []Weight, dropZero bool) map[string]jsonDecimal {
	multipliers := make(map[string]jsonDecimal, len(weights))
	for _, weight := range weights {
		if dropZero && weight.Points.IsZero() {
			continue
		}
		multipliers[weight.Stat] = newJSONDecimal(weight.Points)
	}
	return multipliers
}

// bandsToJSON returns bands in JSON form, sorted by min when sorted is set.
func bandsToJSON(bands []Band, sorted bool) []bandJSON {
	var forms []bandJSON
	for _, band := range bands {
		forms = append(forms, bandJSON{Min: int64Pointer(band.Min), Max: band.Max, Points: newJSONDecimal(band.Points)})
	}
	if sorted {
		slices.SortStableFunc(forms, func(a, b bandJSON) int { return compareInt64(*a.Min, *b.Min) })
	}
	return forms
}

// canonicalJSON is the form that Fingerprint hashes: the scoring rules
// alone, resolved and in one order.
type canonicalJSON struct {
	Multipliers       map[string]jsonDecimal            `json:"multipliers"`
	PositionOverrides map[string]map[string]jsonDecimal `json:"position_overrides"`
	Bonuses           []bonusJSON                       `json:"bonuses"`
	FGBands           []bandJSON                        `json:"fg_bands"`
	Defense           *defenseJSON                      `json:"defense"`
}

// Fingerprint returns the SHA-256, in hex, of a canonical JSON form of the
// rule set's scoring rules. A service can then score each distinct rule set
// once and serve every league that uses it.
//
// Rule sets that score every row alike by construction share a fingerprint,
// even under different names. The canonical form leaves out Name and Base
// and turns kicking's fg_missed, pat_made and pat_missed into weights. It
// drops zero weights, zero bonuses and position weights equal to the
// general weight. It normalizes numbers (1.50 is 1.5) and sorts lists.
//
// NOTE: the converse does not hold. Rule sets that agree on every real row
// by accident, such as bands split differently but scoring alike, have
// different fingerprints.
func (r *RuleSet) Fingerprint() string {
	general := r.generalWeights()
	form := canonicalJSON{
		Multipliers:       weightsToJSON(normalizedWeights(general), true),
		PositionOverrides: make(map[string]map[string]jsonDecimal),
	}

	for position, weights := range r.PositionWeights {
		overrides := make(map[string]jsonDecimal)
		for _, weight := range normalizedWeights(weights) {
			if !weight.Points.Equal(pointsOf(general, weight.Stat)) {
				overrides[weight.Stat] = newJSONDecimal(weight.Points)
			}
		}
		if len(overrides) > 0 {
			form.PositionOverrides[position] = overrides
		}
	}

	for _, bonus := range r.Bonuses {
		if bonus.Points.IsZero() {
			continue
		}
		form.Bonuses = append(form.Bonuses, bonusJSON{
			Stat:    bonus.Stat,
			AtLeast: newJSONDecimal(bonus.AtLeast.Normalize()),
			Points:  newJSONDecimal(bonus.Points.Normalize()),
		})
	}
	slices.SortFunc(form.Bonuses, func(a, b bonusJSON) int {
		if c := strings.Compare(a.Stat, b.Stat); c != 0 {
			return c
		}
		if c := a.AtLeast.value.Cmp(b.AtLeast.value); c != 0 {
			return c
		}
		return a.Points.value.Cmp(b.Points.value)
	})

	if r.Kicking != nil {
		form.FGBands = bandsToJSON(normalizedBands(r.Kicking.FieldGoals), true)
	}
	if d := r.Defense; d != nil {
		form.Defense = &defenseJSON{
			Multipliers:     weightsToJSON(normalizedWeights(d.Weights), true),
			TeamMultipliers: weightsToJSON(normalizedWeights(d.TeamWeights), true),
			PointsAllowed:   bandsToJSON(normalizedBands(d.PointsAllowed), true),
		}
	}

	// encoding/json writes map keys sorted, so the bytes are canonical.
	data, err := json.Marshal(form)
	if err != nil {
		// Every value above is a string, a map, a slice or a jsonDecimal,
		// whose MarshalJSON cannot fail.
		panic(fmt.Sprintf("marshal canonical rule set %q: %v", r.Name, err))
	}
	hash := sha256.Sum256(data)
	return hex.EncodeToString(hash[:])
}

func normalizedWeights(weights []Weight) []Weight {
	normalized := make([]Weight, len(weights))
	for i, weight := range weights {
		normalized[i] = Weight{Stat: weight.Stat, Points: weight.Points.Normalize()}
	}
	return normalized
}

func normalizedBands(bands []Band) []Band {
	normalized := make([]Band, len(bands))
	for i, band := range bands {
		normalized[i] = Band{Min: band.Min, Max: band.Max, Points: band.Points.Normalize()}
	}
	return normalized
}
