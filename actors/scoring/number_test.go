package scoring

import (
	"testing"

	"github.com/shopspring/decimal"
)

// These tests cover the Decimal fallback of the int64 arithmetic, which the
// presets never reach on real data.

func TestScoreExactBeyondInt64(t *testing.T) {
	tests := []struct {
		name, weight, value, valueB, want string
	}{
		{"many decimal places", "1", "3.25828279805137", "0", "3.25828279805137"},
		{"too many digits", "2", "123456789012345678901234", "0", "246913578024691357802468"},
		{"term overflows int64", "1", "900000000000", "0", "900000000000"},
		{"sum overflows int64", "1", "92000000000", "100000000", "92600000000"},
		{"exponent", "0.1", "1.5e3", "0", "150"},
		{"tiny weight", "0.000000001", "7", "1", "6.000000007"},
	}

	for _, test := range tests {
		ruleSet := &RuleSet{Name: "custom", Weights: []Weight{
			{Stat: "a", Points: decimal.RequireFromString(test.weight)},
			{Stat: "b", Points: decimal.NewFromInt(6)},
		}}
		lookup := func(stat string) (string, bool) {
			switch stat {
			case "a":
				return test.value, true
			case "b":
				return test.valueB, true
			}
			return "", false
		}

		got, err := ruleSet.Score(lookup)
		if err != nil {
			t.Errorf("%s: %v", test.name, err)
			continue
		}
		if got.String() != test.want {
			t.Errorf("%s: got %s, want %s", test.name, got, test.want)
		}
	}
}

func TestSumMovesToDecimalMidway(t *testing.T) {
	var total sum
	one := number{mantissa: 1, fits: true}
	large := number{mantissa: 100_000_000_000, fits: true}

	total.add(number{mantissa: 25, scale: 2, fits: true}, one)
	total.add(large, one) // 1e11 × 10^8 does not fit in an int64
	total.add(number{mantissa: -5, scale: 1, fits: true}, one)

	if !total.big {
		t.Error("sum did not move to Decimal arithmetic")
	}
	if got := total.result().String(); got != "99999999999.75" {
		t.Errorf("got %s, want 99999999999.75", got)
	}
}

func TestFromDecimalPositiveExponent(t *testing.T) {
	n := fromDecimal(decimal.New(6, 1))
	if !n.fits || n.mantissa != 60 || n.scale != 0 {
		t.Errorf("got %+v, want 60 at scale 0", n)
	}

	n = fromDecimal(decimal.New(40, -3))
	if !n.fits || n.mantissa != 4 || n.scale != 2 {
		t.Errorf("got %+v, want 4 at scale 2", n)
	}
}

func TestParseFastRejects(t *testing.T) {
	for _, text := range []string{"", "-", "+", ".", "1.", "1e5", "1234567890123456789", "1,5"} {
		if n, ok := parseFast(text); ok {
			t.Errorf("parseFast(%q) = %+v, want rejected", text, n)
		}
	}
}

func TestParseNumberAccepts(t *testing.T) {
	for text, want := range map[string]string{
		"167":                 "167",
		"-5":                  "-5",
		"0.02":                "0.02",
		"+3":                  "3",
		"-0":                  "0",
		"1234567890123456789": "1234567890123456789",
		"2.50":                "2.5",
	} {
		n, ok := parseNumber(text)
		if !ok {
			t.Errorf("parseNumber(%q) rejected", text)
			continue
		}
		if got := n.decimal().String(); got != want {
			t.Errorf("parseNumber(%q) = %s, want %s", text, got, want)
		}
	}
}
