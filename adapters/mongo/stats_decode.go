package mongo

import (
	"encoding/json"
	"slices"
	"strings"

	"github.com/nflsync/nflsync/messages"
)

// decodeStats returns the stats of a stored stats field, a JSON object of
// strings, sorted by name. Loading a season's player-weeks at start-up
// decodes about 19,000 of these objects of about 100 stats each, and
// encoding/json's map decoding took about 2 s of that on 2 cores. The
// objects this package writes have plain keys and values in sorted order,
// so a scan of them needs no map. Any other text (escapes, other value
// types, duplicate keys, an invalid object) goes to encoding/json, whose
// result and errors are the reference.
func decodeStats(text string) ([]*messages.Stat, error) {
	if stats, ok := scanPlainStats(text); ok {
		return stats, nil
	}

	var values map[string]string
	if err := json.Unmarshal([]byte(text), &values); err != nil {
		return nil, err
	}
	stats := make([]*messages.Stat, 0, len(values))
	for name, value := range values {
		stats = append(stats, &messages.Stat{Name: name, Value: value})
	}
	slices.SortFunc(stats, func(a, b *messages.Stat) int { return strings.Compare(a.Name, b.Name) })
	return stats, nil
}

// scanPlainStats reads text when it is an object of printable ASCII
// strings without escapes or whitespace, with keys in strictly ascending
// order. ok is false for anything else.
func scanPlainStats(text string) (stats []*messages.Stat, ok bool) {
	if len(text) < 2 || text[0] != '{' || text[len(text)-1] != '}' {
		return nil, false
	}
	body := text[1 : len(text)-1]
	if body == "" {
		return []*messages.Stat{}, true
	}

	stats = make([]*messages.Stat, 0, strings.Count(body, `":"`))
	for {
		name, rest, found := plainString(body)
		if !found || len(rest) == 0 || rest[0] != ':' {
			return nil, false
		}
		value, rest, found := plainString(rest[1:])
		if !found {
			return nil, false
		}
		if n := len(stats); n > 0 && stats[n-1].Name >= name {
			return nil, false
		}
		stats = append(stats, &messages.Stat{Name: name, Value: value})

		if rest == "" {
			return stats, true
		}
		if rest[0] != ',' {
			return nil, false
		}
		body = rest[1:]
	}
}

// plainString reads a JSON string at the start of text that holds only
// printable ASCII without escapes, and returns its contents and the text
// after it. encoding/json would replace invalid UTF-8, so other bytes are
// left to it.
func plainString(text string) (value, rest string, ok bool) {
	if len(text) == 0 || text[0] != '"' {
		return "", "", false
	}
	end := strings.IndexByte(text[1:], '"')
	if end < 0 {
		return "", "", false
	}
	value = text[1 : 1+end]
	for i := 0; i < len(value); i++ {
		if value[i] == '\\' || value[i] < 0x20 || value[i] >= 0x80 {
			return "", "", false
		}
	}
	return value, text[2+end:], true
}
