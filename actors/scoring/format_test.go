package scoring

import (
	"math/rand/v2"
	"testing"

	"github.com/shopspring/decimal"
)

// TestFormatPointsFastMatchesDecimal checks the int64 formatting against
// shopspring's rounding for hand-picked edge cases and random values.
func TestFormatPointsFastMatchesDecimal(t *testing.T) {
	values := []string{
		"0", "-0", "18.58", "1.305", "-1.305", "-0.001", "-0.004", "-0.005", "-0.006",
		"0.005", "0.004999", "-2", "100", "123456789012.345", "-999999999999999",
		"0.000000000000000001", "-0.000000000000000001", "99.995", "-99.995", "7.1",
	}
	random := rand.New(rand.NewPCG(1, 2))
	for range 20000 {
		coefficient := random.Int64N(2_000_000_000_000_000) - 1_000_000_000_000_000
		exponent := -random.Int32N(19)
		values = append(values, decimal.New(coefficient, exponent).String())
	}

	for _, value := range values {
		points := decimal.RequireFromString(value)
		want := RoundPoints(points).StringFixed(2)
		got, ok := formatPointsFast(points)
		if !ok {
			if points.NumDigits() <= maxFastFormatDigits {
				t.Errorf("formatPointsFast(%s) declined a value of %d digits", value, points.NumDigits())
			}
			continue
		}
		if got != want {
			t.Errorf("formatPointsFast(%s) = %q, want %q", value, got, want)
		}
	}
}

// TestFormatPointsLargeValue checks that a value beyond the int64 path
// still formats through the decimal path.
func TestFormatPointsLargeValue(t *testing.T) {
	points := decimal.RequireFromString("12345678901234567890.125")
	if got, want := FormatPoints(points), "12345678901234567890.13"; got != want {
		t.Errorf("FormatPoints = %q, want %q", got, want)
	}
}
