package nflverse

import (
	"strings"

	"github.com/shopspring/decimal"
)

// noisePlaces is the number of decimal places at which float noise is
// rounded away.
const noisePlaces = 10

// maxCleanPlaces is the most fraction digits a value may keep after rounding
// to noisePlaces for the rounding to count as removing float noise.
const maxCleanPlaces = noisePlaces - 4

// maxExponent bounds the decimal exponent of a value written with one, such
// as "1e-05". Stats are far smaller, and a larger exponent would make the
// canonical string huge.
const maxExponent = 100

// canonicalNumber returns the canonical decimal string of a non-null
// trimmed value, or ok=false when value is not a number.
//
// Canonical means no exponent, no leading "+", no redundant leading zeros, no
// trailing fraction zeros and no "-0". nflverse writes doubles with 15
// significant digits, so a sum such as 0.02 can appear as
// "0.0200000000000001". A value with more than noisePlaces fraction digits is
// rounded half away from zero to noisePlaces. The rounded form replaces the
// value only when it has at most maxCleanPlaces fraction digits, because then
// a run of at least four zeros or nines preceded the noise. Otherwise the
// digits are real ("3.25828279805137") and the value is kept as written.
func canonicalNumber(value string) (string, bool) {
	if canonical, ok := canonicalPlain(value); ok {
		return canonical, true
	}

	// Exponents, "+" signs, ".5" and other spellings go through an exact
	// decimal parse. decimal.String prints no exponent and no trailing zeros.
	parsed, err := decimal.NewFromString(value)
	if err != nil {
		return "", false
	}
	if exponent := parsed.Exponent(); exponent > maxExponent || exponent < -maxExponent {
		// "1e999999999" would print a billion digits.
		return "", false
	}
	canonical, ok := canonicalPlain(parsed.String())
	if !ok {
		return "", false
	}
	return canonical, true
}

// canonicalPlain handles values of the form -?digits(.digits)? without a
// decimal parse. It returns ok=false for any other form.
func canonicalPlain(value string) (string, bool) {
	negative := strings.HasPrefix(value, "-")
	unsigned := value
	if negative {
		unsigned = value[1:]
	}

	integer, fraction, hasPoint := strings.Cut(unsigned, ".")
	if integer == "" || !allDigits(integer) || (hasPoint && (fraction == "" || !allDigits(fraction))) {
		return "", false
	}
	if len(integer) > 1 && integer[0] == '0' {
		integer = strings.TrimLeft(integer, "0")
		if integer == "" {
			integer = "0"
		}
	}

	if len(fraction) > noisePlaces {
		roundedInteger, roundedFraction := roundHalfUp(integer, fraction, noisePlaces)
		roundedFraction = strings.TrimRight(roundedFraction, "0")
		if len(roundedFraction) <= maxCleanPlaces {
			integer, fraction = roundedInteger, roundedFraction
		}
	}
	fraction = strings.TrimRight(fraction, "0")

	if integer == "0" && fraction == "" {
		return "0", true
	}

	var b strings.Builder
	b.Grow(len(integer) + len(fraction) + 2)
	if negative {
		b.WriteByte('-')
	}
	b.WriteString(integer)
	if fraction != "" {
		b.WriteByte('.')
		b.WriteString(fraction)
	}
	canonical := b.String()
	if canonical == value {
		// Keep the caller's string so that no new copy is retained.
		return value, true
	}
	return canonical, true
}

// roundHalfUp rounds the unsigned decimal integer.fraction to places
// fraction digits, half away from zero, carrying into the integer part.
func roundHalfUp(integer, fraction string, places int) (string, string) {
	digits := []byte(integer + fraction[:places])
	if fraction[places] >= '5' {
		i := len(digits) - 1
		for ; i >= 0; i-- {
			if digits[i] < '9' {
				digits[i]++
				break
			}
			digits[i] = '0'
		}
		if i < 0 {
			digits = append([]byte{'1'}, digits...)
		}
	}

	split := len(digits) - places
	return string(digits[:split]), string(digits[split:])
}

// negateCanonical negates a canonical decimal string.
func negateCanonical(canonical string) string {
	if canonical == "0" {
		return "0"
	}
	if strings.HasPrefix(canonical, "-") {
		return canonical[1:]
	}
	return "-" + canonical
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
