package nflverse

// ResumeAt positions the replay so that the next Load reveals week again,
// as if weeks before it had been revealed already. A server that restarts
// on a replay calls it with the week its last sync revealed, so that the
// replay continues where it stopped instead of hiding scores that the
// stored games already have. A week outside 1 to the last week is clamped.
func (r *Replay) ResumeAt(week int32) {
	r.mu.Lock()
	defer r.mu.Unlock()

	week = max(min(week, r.lastWeek), minWeek)
	r.revealed = week - 1
	r.advanceClock()
}
