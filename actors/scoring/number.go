package scoring

import (
	"math"
	"math/bits"

	"github.com/shopspring/decimal"
)

// The arithmetic below keeps points exact without a big.Int per operation. A
// number is mantissa × 10^-scale in an int64 whenever it fits, which covers
// every counting stat and every preset weight, and a shopspring Decimal
// otherwise. Sums are kept in an int64 at fixedScale decimal places and move
// to Decimal arithmetic on the first term that would not fit, so the result
// is exact either way.

// fixedScale is the number of decimal places of the int64 sum. A term whose
// value and weight have more decimal places together is added as a Decimal.
const fixedScale = 8

// maxFastDigits is the number of digits that always fit in an int64.
const maxFastDigits = 18

var powersOf10 = [...]int64{
	1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9,
	1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18,
}

// number is an exact decimal: mantissa × 10^-scale when fits is true, exact
// otherwise. Its zero value, with present false, is a null stat.
type number struct {
	mantissa int64
	scale    int32
	fits     bool
	present  bool
	exact    decimal.Decimal
}

// parseNumber parses a decimal string such as "167", "-5" or "0.02". Plain
// strings of up to 18 digits take a fast path without allocation. Anything
// else, such as an exponent or more digits, goes through
// decimal.NewFromString.
func parseNumber(text string) (number, bool) {
	if n, ok := parseFast(text); ok {
		return n, true
	}

	exact, err := decimal.NewFromString(text)
	if err != nil {
		return number{}, false
	}
	return fromDecimal(exact), true
}

// parseFast parses [+-]digits[.digits] with at most maxFastDigits digits.
func parseFast(text string) (number, bool) {
	i := 0
	negative := false
	if i < len(text) && (text[i] == '-' || text[i] == '+') {
		negative = text[i] == '-'
		i++
	}

	var mantissa int64
	var scale int32
	digits := 0
	point := false
	for ; i < len(text); i++ {
		c := text[i]
		switch {
		case c >= '0' && c <= '9':
			digits++
			if digits > maxFastDigits {
				return number{}, false
			}
			mantissa = mantissa*10 + int64(c-'0')
			if point {
				scale++
			}
		case c == '.' && !point:
			point = true
		default:
			return number{}, false
		}
	}
	if digits == 0 || (point && scale == 0) {
		return number{}, false
	}

	if negative {
		mantissa = -mantissa
	}
	return normalize(number{mantissa: mantissa, scale: scale, fits: true, present: true}), true
}

// fromDecimal converts a Decimal, taking the int64 form when the coefficient
// fits.
func fromDecimal(d decimal.Decimal) number {
	exponent := d.Exponent()
	coefficient := d.Coefficient()
	if !coefficient.IsInt64() || exponent == math.MinInt32 {
		return number{present: true, exact: d}
	}

	mantissa := coefficient.Int64()
	if mantissa <= -powersOf10[maxFastDigits] || mantissa >= powersOf10[maxFastDigits] {
		return number{present: true, exact: d}
	}

	// A positive exponent, as in decimal.New(6, 1), is folded into the
	// mantissa.
	for ; exponent > 0; exponent-- {
		scaled, ok := multiply(mantissa, 10)
		if !ok {
			return number{present: true, exact: d}
		}
		mantissa = scaled
	}
	return normalize(number{mantissa: mantissa, scale: -exponent, fits: true, present: true})
}

// normalize drops trailing zeros after the decimal point, so that 0.040 has
// the same scale as 0.04.
func normalize(n number) number {
	for n.scale > 0 && n.mantissa%10 == 0 {
		n.mantissa /= 10
		n.scale--
	}
	if n.mantissa == 0 {
		n.scale = 0
	}
	return n
}

func (n number) decimal() decimal.Decimal {
	if n.fits {
		return decimal.New(n.mantissa, -n.scale)
	}
	return n.exact
}

// multiply returns a × b and whether it fits in an int64.
func multiply(a, b int64) (int64, bool) {
	if a == math.MinInt64 || b == math.MinInt64 {
		return 0, false
	}

	negative := (a < 0) != (b < 0)
	hi, lo := bits.Mul64(uint64(abs(a)), uint64(abs(b)))
	if hi != 0 || lo > math.MaxInt64 {
		return 0, false
	}

	product := int64(lo)
	if negative {
		product = -product
	}
	return product, true
}

func abs(a int64) int64 {
	if a < 0 {
		return -a
	}
	return a
}

// sum is an exact running total of value × weight terms.
type sum struct {
	fixed int64 // the total × 10^fixedScale, while exact is unused
	big   bool  // true once the total is kept in exact
	exact decimal.Decimal
}

// add adds value × weight.
func (s *sum) add(value, weight number) {
	if !s.big {
		if term, ok := fixedProduct(value, weight); ok {
			total := s.fixed + term
			overflow := (term > 0 && total < s.fixed) || (term < 0 && total > s.fixed)
			if !overflow {
				s.fixed = total
				return
			}
		}

		s.exact = decimal.New(s.fixed, -fixedScale)
		s.big = true
	}

	s.exact = s.exact.Add(value.decimal().Mul(weight.decimal()))
}

// fixedProduct returns value × weight × 10^fixedScale when it is an int64.
func fixedProduct(value, weight number) (int64, bool) {
	if !value.fits || !weight.fits {
		return 0, false
	}

	shift := fixedScale - value.scale - weight.scale
	if shift < 0 {
		return 0, false
	}

	product, ok := multiply(value.mantissa, weight.mantissa)
	if !ok {
		return 0, false
	}
	return multiply(product, powersOf10[shift])
}

// result returns the total without trailing zeros after the decimal point,
// so that its String is canonical ("18.58", "-2").
func (s *sum) result() decimal.Decimal {
	if s.big {
		return s.exact.Normalize()
	}

	// The zero Decimal needs no big.Int, and many rows, such as those of
	// kickers and defenders, score 0.
	if s.fixed == 0 {
		return decimal.Decimal{}
	}

	total := normalize(number{mantissa: s.fixed, scale: fixedScale, fits: true})
	return total.decimal()
}

// format returns the total as FormatPoints writes it.
func (s *sum) format() string {
	if !s.big && s.fixed > -maxFastFormatCoefficient && s.fixed < maxFastFormatCoefficient {
		return formatScaled(s.fixed, -fixedScale)
	}
	return FormatPoints(s.result())
}

// compareNumbers returns -1, 0 or +1 as a is less than, equal to or greater
// than b. Both must be present.
func compareNumbers(a, b number) int {
	if a.fits && b.fits {
		x, y := a.mantissa, b.mantissa
		xOK, yOK := true, true
		switch shift := a.scale - b.scale; {
		case shift > 0 && shift <= maxFastDigits:
			y, yOK = multiply(y, powersOf10[shift])
		case shift < 0 && -shift <= maxFastDigits:
			x, xOK = multiply(x, powersOf10[-shift])
		case shift != 0:
			xOK = false
		}
		if xOK && yOK {
			return compareInt64(x, y)
		}
	}
	return a.decimal().Cmp(b.decimal())
}
