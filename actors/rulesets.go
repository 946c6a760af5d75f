package actors

import (
	"fmt"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/nflsync/nflsync/actors/scoring"
)

// RuleSetRegistry is the set of rule sets that the scorer computes: the
// base rule sets (the presets) followed by one rule set per distinct
// Fingerprint among the leagues' rule sets. The leagues directory replaces
// it when leagues change; the scorer reads it for every delta. It is safe
// for concurrent use.
type RuleSetRegistry struct {
	base      []*scoring.RuleSet
	baseNames map[string]string // Fingerprint → base rule set name
	current   atomic.Pointer[scoring.Scorer]
	mu        sync.Mutex // serializes SetLeagueRuleSets
}

// NewRuleSetRegistry returns a registry of the base rule sets alone.
func NewRuleSetRegistry(base ...*scoring.RuleSet) (*RuleSetRegistry, error) {
	scorer, err := scoring.NewScorer(base...)
	if err != nil {
		return nil, fmt.Errorf("rule set registry: %w", err)
	}

	registry := &RuleSetRegistry{base: slices.Clone(base), baseNames: make(map[string]string, len(base))}
	for _, ruleSet := range base {
		if _, ok := registry.baseNames[ruleSet.Fingerprint()]; !ok {
			registry.baseNames[ruleSet.Fingerprint()] = ruleSet.Name
		}
	}
	registry.current.Store(scorer)
	return registry, nil
}

// Scorer returns the current scorer. Its first BaseCount rule sets are the
// base ones.
func (r *RuleSetRegistry) Scorer() *scoring.Scorer {
	return r.current.Load()
}

// BaseCount returns the number of base rule sets.
func (r *RuleSetRegistry) BaseCount() int {
	return len(r.base)
}

// NameOf returns the name under which the registry's scorer reports points
// of ruleSet: the name of the base rule set with the same Fingerprint, else
// "custom-" and the first 16 hex digits of the Fingerprint. Equal rule sets
// of different leagues thus share one name and are computed once.
func (r *RuleSetRegistry) NameOf(ruleSet *scoring.RuleSet) string {
	fingerprint := ruleSet.Fingerprint()
	if name, ok := r.baseNames[fingerprint]; ok {
		return name
	}
	return "custom-" + fingerprint[:16]
}

// SetLeagueRuleSets makes the scorer compute the base rule sets and each
// distinct rule set of ruleSets.
func (r *RuleSetRegistry) SetLeagueRuleSets(ruleSets []*scoring.RuleSet) error {
	r.mu.Lock()
	defer r.mu.Unlock()

	all := slices.Clone(r.base)
	names := make(map[string]bool)
	for _, ruleSet := range ruleSets {
		name := r.NameOf(ruleSet)
		if _, isBase := r.baseNames[ruleSet.Fingerprint()]; isBase || names[name] {
			continue
		}
		names[name] = true
		renamed := *ruleSet
		renamed.Name = name
		all = append(all, &renamed)
	}

	scorer, err := scoring.NewScorer(all...)
	if err != nil {
		return fmt.Errorf("rule set registry: %w", err)
	}
	r.current.Store(scorer)
	return nil
}
