package geo

import "math"

// Correctly rounded sin, cos and asin, to match glibc (see doc.go). Each
// is evaluated in double-double arithmetic (an unevaluated sum hi + lo of
// two float64s, about 106 bits) and rounded once to float64. The float64
// conversions around products stop the compiler from fusing them into
// multiply-adds, which would break the error-free transformations.

type dd struct{ hi, lo float64 }

// twoSum returns a+b exactly as s + e.
func twoSum(a, b float64) (s, e float64) {
	s = a + b
	bb := s - a
	e = (a - (s - bb)) + (b - bb)
	return s, e
}

// quickTwoSum is twoSum for |a| >= |b|.
func quickTwoSum(a, b float64) (s, e float64) {
	s = a + b
	e = b - (s - a)
	return s, e
}

// twoProd returns a*b exactly as p + e (a fused multiply-add computes
// the rounding error of the product exactly).
func twoProd(a, b float64) (p, e float64) {
	p = float64(a * b)
	return p, math.FMA(a, b, -p)
}

func ddAdd(a, b dd) dd {
	s, e := twoSum(a.hi, b.hi)
	t, f := twoSum(a.lo, b.lo)
	e += t
	s, e = quickTwoSum(s, e)
	e += f
	s, e = quickTwoSum(s, e)
	return dd{s, e}
}

func ddNeg(a dd) dd { return dd{-a.hi, -a.lo} }

func ddMul(a, b dd) dd {
	p, e := twoProd(a.hi, b.hi)
	e += float64(a.hi*b.lo) + float64(a.lo*b.hi)
	p, e = quickTwoSum(p, e)
	return dd{p, e}
}

// ddMulF multiplies a by the float64 b.
func ddMulF(a dd, b float64) dd {
	p, e := twoProd(a.hi, b)
	e += float64(a.lo * b)
	p, e = quickTwoSum(p, e)
	return dd{p, e}
}

// ddDivF divides a by the float64 b.
func ddDivF(a dd, b float64) dd {
	q1 := a.hi / b
	p, e := twoProd(q1, b)
	s, f := twoSum(a.hi, -p)
	f -= e
	f += a.lo
	q2 := (s + f) / b
	s, e = quickTwoSum(q1, q2)
	return dd{s, e}
}

// π/2 as a sum of three float64s (about 160 bits).
const (
	pio2a = 1.5707963267948966e+00
	pio2b = 6.123233995736766e-17
	pio2c = -1.4973849048591698e-33
)

// reduce returns x - k·π/2 in double-double and k mod 4, with |x - k·π/2|
// <= π/4 (about). ok is false for arguments too large for this simple
// reduction.
func reduce(x float64) (r dd, quadrant int, ok bool) {
	k := math.Round(x / pio2a)
	if math.Abs(k) > 1<<20 {
		return dd{}, 0, false
	}
	if k == 0 {
		return dd{x, 0}, 0, true
	}
	p, e := twoProd(k, pio2a)
	r = ddAdd(dd{x, 0}, dd{-p, -e})
	p, e = twoProd(k, pio2b)
	r = ddAdd(r, dd{-p, -e})
	r = ddAdd(r, dd{-k * pio2c, 0})
	q := int(int64(k) & 3)
	return r, q, true
}

// sinTaylor and cosTaylor sum the series for |r| <= about π/4; they
// only build the table below.
func sinTaylor(r dd) dd {
	r2 := ddMul(r, r)
	sum, term := r, r
	for n := 2.0; n < 40; n += 2 {
		term = ddNeg(ddDivF(ddMul(term, r2), n*(n+1)))
		sum = ddAdd(sum, term)
		if math.Abs(term.hi) < 1e-36*math.Abs(sum.hi) {
			break
		}
	}
	return sum
}

func cosTaylor(r dd) dd {
	r2 := ddMul(r, r)
	sum, term := dd{1, 0}, dd{1, 0}
	for n := 1.0; n < 40; n += 2 {
		term = ddNeg(ddDivF(ddMul(term, r2), n*(n+1)))
		sum = ddAdd(sum, term)
		if math.Abs(term.hi) < 1e-36 {
			break
		}
	}
	return sum
}

// The reduced argument r is split as a + s with a = k/32 from a table of
// sin(a) and cos(a), and |s| <= 1/64, where short series suffice:
// sin(r) = sin(a)cos(s) + cos(a)sin(s), cos(r) = cos(a)cos(s) - sin(a)sin(s).
const tableStep = 32

var (
	sinTable, cosTable [28]dd
	// sinCoef[i] is (-1)^i / (2i+1)!, cosCoef[i] is (-1)^i / (2i)!.
	sinCoef, cosCoef [9]dd
)

func init() {
	for k := range sinTable {
		a := dd{float64(k) / tableStep, 0}
		sinTable[k] = sinTaylor(a)
		cosTable[k] = cosTaylor(a)
	}
	f := dd{1, 0}
	for i := range cosCoef {
		if i > 0 {
			f = ddNeg(ddDivF(f, float64((2*i-1)*(2*i))))
		}
		cosCoef[i] = f
	}
	f = dd{1, 0}
	for i := range sinCoef {
		if i > 0 {
			f = ddNeg(ddDivF(f, float64((2*i)*(2*i+1))))
		}
		sinCoef[i] = f
	}
}

// horner evaluates c[0] + y·c[1] + y²·c[2] + ... in double-double.
func horner(c []dd, y dd) dd {
	sum := c[len(c)-1]
	for i := len(c) - 2; i >= 0; i-- {
		sum = ddAdd(ddMul(sum, y), c[i])
	}
	return sum
}

// sinCosReduced returns sin(r) and cos(r) for |r| <= about π/4.
func sinCosReduced(r dd) (dd, dd) {
	k := math.Round(r.hi * tableStep)
	neg := k < 0
	if neg {
		k, r = -k, ddNeg(r)
	}
	s := r
	if k != 0 {
		hi, lo := quickTwoSum(r.hi-k/tableStep, r.lo)
		s = dd{hi, lo}
	}
	s2 := ddMul(s, s)
	ss := ddMul(s, horner(sinCoef[:], s2))
	cs := horner(cosCoef[:], s2)
	sn, cn := ss, cs
	if k != 0 {
		sa, ca := sinTable[int(k)], cosTable[int(k)]
		sn = ddAdd(ddMul(sa, cs), ddMul(ca, ss))
		cn = ddAdd(ddMul(ca, cs), ddNeg(ddMul(sa, ss)))
	}
	if neg {
		sn = ddNeg(sn)
	}
	return sn, cn
}

// sinCosDD returns sin(x) and cos(x) in double-double.
func sinCosDD(x float64) (sin, cos dd, ok bool) {
	r, q, ok := reduce(x)
	if !ok {
		return dd{}, dd{}, false
	}
	s, c := sinCosReduced(r)
	switch q {
	case 0:
		return s, c, true
	case 1:
		return c, ddNeg(s), true
	case 2:
		return ddNeg(s), ddNeg(c), true
	}
	return ddNeg(c), s, true
}

func sin(x float64) float64 {
	if x == 0 || math.IsInf(x, 0) || x != x {
		return math.Sin(x)
	}
	s, _, ok := sinCosDD(x)
	if !ok {
		return math.Sin(x)
	}
	return s.hi + s.lo
}

func cos(x float64) float64 {
	if math.IsInf(x, 0) || x != x {
		return math.Cos(x)
	}
	_, c, ok := sinCosDD(x)
	if !ok {
		return math.Cos(x)
	}
	return c.hi + c.lo
}

// asin refines math.Asin's result by one Newton step on sin(t) = y, made
// with double-double sin and cos, which leaves an error far below half a
// unit in the last place.
func asin(y float64) float64 {
	if y == 0 || y >= 1 || y <= -1 || y != y {
		return math.Asin(y)
	}
	t := math.Asin(y)
	s, c, _ := sinCosDD(t)
	d := ddAdd(dd{y, 0}, ddNeg(s))
	return t + (d.hi+d.lo)/c.hi
}

func sqrt(x float64) float64 { return math.Sqrt(x) }
