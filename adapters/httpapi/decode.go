package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"math"
	"slices"
	"strings"
)

// shape is the expected JSON form of a request body or of one of its
// fields. checkShape walks a decoded body against it, so that an error
// names the exact field ("teams[2].roster[0]") that encoding/json's errors
// leave out.
type shape struct {
	kind kind

	// items is the shape of each element of an array.
	items *shape

	// fields are the allowed fields of an object, and required the ones
	// that must be present. name is the object's name in messages.
	name     string
	fields   map[string]*shape
	required []string
}

type kind int

const (
	kindString kind = iota
	kindInteger
	kindArray
	kindObject
	// kindStringOrObject is a rule set: a preset name or a custom rule set
	// object, which scoring.ParseRuleSet checks later.
	kindStringOrObject
)

func (k kind) String() string {
	switch k {
	case kindString:
		return "a string"
	case kindInteger:
		return "a whole number"
	case kindArray:
		return "an array"
	case kindObject:
		return "an object"
	default:
		return "a preset name or a rule set object"
	}
}

var (
	stringShape  = &shape{kind: kindString}
	integerShape = &shape{kind: kindInteger}
	stringsShape = &shape{kind: kindArray, items: stringShape}

	lineupShape = &shape{kind: kindObject, name: "lineup", required: []string{"week", "starters"},
		fields: map[string]*shape{"week": integerShape, "starters": stringsShape}}

	teamShape = &shape{kind: kindObject, name: "team", required: []string{"id", "name"},
		fields: map[string]*shape{
			"id":      stringShape,
			"name":    stringShape,
			"owner":   stringShape,
			"roster":  stringsShape,
			"lineups": {kind: kindArray, items: lineupShape},
		}}

	leagueShape = &shape{kind: kindObject, name: "league", required: []string{"id", "name", "season", "rule_set"},
		fields: map[string]*shape{
			"id":       stringShape,
			"name":     stringShape,
			"season":   integerShape,
			"format":   stringShape,
			"weeks":    {kind: kindArray, items: integerShape},
			"rule_set": {kind: kindStringOrObject},
			"teams":    {kind: kindArray, items: teamShape},
		}}

	playerShape = &shape{kind: kindObject, name: "roster entry", required: []string{"player_id"},
		fields: map[string]*shape{"player_id": stringShape}}

	startersShape = &shape{kind: kindObject, name: "lineup", required: []string{"starters"},
		fields: map[string]*shape{"starters": stringsShape}}
)

// fieldError is an invalid request field.
type fieldError struct {
	field   string
	message string
}

func (e *fieldError) Error() string { return e.field + ": " + e.message }

// errInvalidJSON marks a body that is not one JSON value.
var errInvalidJSON = errors.New("invalid JSON")

// decodeBody reads one JSON object from body, checks it against expected
// and decodes it into target. It returns a *fieldError for a field of the
// wrong type, missing or unknown, and an error wrapping errInvalidJSON for
// malformed JSON or data after the object.
func decodeBody(body io.Reader, expected *shape, target any) error {
	data, err := io.ReadAll(body)
	if err != nil {
		return err
	}

	decoder := json.NewDecoder(bytes.NewReader(data))
	decoder.UseNumber()
	var value any
	if err := decoder.Decode(&value); err != nil {
		return fmt.Errorf("%w: %v", errInvalidJSON, err)
	}
	if _, err := decoder.Token(); !errors.Is(err, io.EOF) {
		return fmt.Errorf("%w: unexpected data after the JSON object", errInvalidJSON)
	}

	if err := checkShape("", value, expected); err != nil {
		return err
	}

	// The shape check passed, so a strict decode fails only on a number
	// too large for its field.
	strict := json.NewDecoder(bytes.NewReader(data))
	strict.DisallowUnknownFields()
	if err := strict.Decode(target); err != nil {
		var typeErr *json.UnmarshalTypeError
		if errors.As(err, &typeErr) {
			return &fieldError{field: typeErr.Field, message: fmt.Sprintf("invalid value: %v", err)}
		}
		return fmt.Errorf("%w: %v", errInvalidJSON, err)
	}
	return nil
}

// checkShape returns a *fieldError for the first part of value that does
// not fit expected. path is value's path in the body, "" for the body.
func checkShape(path string, value any, expected *shape) error {
	fail := func(format string, args ...any) error {
		field := path
		if field == "" {
			field = "body"
		}
		return &fieldError{field: field, message: fmt.Sprintf(format, args...)}
	}
	if value == nil {
		return fail("invalid null: expected %s", expected.kind)
	}

	switch expected.kind {
	case kindString:
		if _, ok := value.(string); !ok {
			return fail("wrong type: expected %s, got %s", expected.kind, jsonType(value))
		}

	case kindInteger:
		number, ok := value.(json.Number)
		if !ok {
			return fail("wrong type: expected %s, got %s", expected.kind, jsonType(value))
		}
		integer, err := number.Int64()
		if err != nil || integer < math.MinInt32 || integer > math.MaxInt32 {
			return fail("invalid number %s: expected a whole number", number)
		}

	case kindArray:
		items, ok := value.([]any)
		if !ok {
			return fail("wrong type: expected %s, got %s", expected.kind, jsonType(value))
		}
		for i, item := range items {
			if err := checkShape(fmt.Sprintf("%s[%d]", path, i), item, expected.items); err != nil {
				return err
			}
		}

	case kindObject:
		object, ok := value.(map[string]any)
		if !ok {
			return fail("wrong type: expected %s, got %s", expected.kind, jsonType(value))
		}
		return checkObject(path, object, expected)

	case kindStringOrObject:
		switch value.(type) {
		case string, map[string]any:
		default:
			return fail("wrong type: expected %s, got %s", expected.kind, jsonType(value))
		}
	}
	return nil
}

func checkObject(path string, object map[string]any, expected *shape) error {
	join := func(name string) string {
		if path == "" {
			return name
		}
		return path + "." + name
	}

	for _, name := range slices.Sorted(maps.Keys(object)) {
		fieldShape, ok := expected.fields[name]
		if !ok {
			return &fieldError{field: join(name), message: fmt.Sprintf("unknown field %q: the fields of a %s are %s",
				name, expected.name, strings.Join(slices.Sorted(maps.Keys(expected.fields)), ", "))}
		}
		if err := checkShape(join(name), object[name], fieldShape); err != nil {
			return err
		}
	}

	for _, name := range expected.required {
		if _, ok := object[name]; !ok {
			return &fieldError{field: join(name), message: fmt.Sprintf("missing required field %q of the %s", name, expected.name)}
		}
	}
	return nil
}

func jsonType(value any) string {
	switch value.(type) {
	case string:
		return "a string"
	case json.Number:
		return "a number"
	case bool:
		return "a boolean"
	case []any:
		return "an array"
	case map[string]any:
		return "an object"
	default:
		return "null"
	}
}
