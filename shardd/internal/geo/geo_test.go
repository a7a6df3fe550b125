package geo

import (
	"math"
	"math/big"
	"math/rand/v2"
	"strconv"
	"testing"
)

// Values checked against redis-server 7.0.15.
func TestPalermoCatania(t *testing.T) {
	palermo := Encode(13.361389, 38.115556)
	catania := Encode(15.087269, 37.502669)
	if palermo != 3479099956230698 || catania != 3479447370796909 {
		t.Fatalf("scores %d %d; want 3479099956230698 3479447370796909", palermo, catania)
	}
	lon, lat := Decode(float64(palermo))
	human := func(f float64) string { return strconv.FormatFloat(f, 'f', 17, 64) }
	if human(lon) != "13.36138933897018433" || human(lat) != "38.11555639549629859" {
		t.Errorf("decode: %s %s", human(lon), human(lat))
	}
	if h := string(AppendHash(nil, float64(palermo))); h != "sqc8b49rny0" {
		t.Errorf("hash %s; want sqc8b49rny0", h)
	}
	clon, clat := Decode(float64(catania))
	if d := strconv.FormatFloat(Distance(lon, lat, clon, clat), 'f', 4, 64); d != "166274.1516" {
		t.Errorf("distance %s; want 166274.1516", d)
	}
}

func TestPiOver2(t *testing.T) {
	const digits = "1.57079632679489661923132169163975144209858469968755291048747229615390820314310449931401741267105853399107404326"
	want, _, _ := big.ParseFloat(digits, 10, 400, big.ToNearestEven)
	got := new(big.Float).SetPrec(400).SetFloat64(pio2a)
	got.Add(got, new(big.Float).SetFloat64(pio2b))
	got.Add(got, new(big.Float).SetFloat64(pio2c))
	diff := new(big.Float).Sub(got, want)
	if f, _ := diff.Float64(); math.Abs(f) > 1e-48 {
		t.Fatalf("pi/2 split off by %g", f)
	}
}

// bigSinCos computes sin and cos of x to 300 bits with Taylor series.
func bigSinCos(x float64) (s, c *big.Float) {
	const prec = 300
	bx := new(big.Float).SetPrec(prec).SetFloat64(x)
	x2 := new(big.Float).SetPrec(prec).Mul(bx, bx)
	s = new(big.Float).SetPrec(prec).Set(bx)
	c = new(big.Float).SetPrec(prec).SetInt64(1)
	term := new(big.Float).SetPrec(prec).Set(bx)
	cterm := new(big.Float).SetPrec(prec).SetInt64(1)
	for n := int64(1); n < 200; n++ {
		cterm.Mul(cterm, x2)
		cterm.Quo(cterm, new(big.Float).SetInt64((2*n-1)*(2*n)))
		cterm.Neg(cterm)
		c.Add(c, cterm)
		term.Mul(term, x2)
		term.Quo(term, new(big.Float).SetInt64((2*n)*(2*n+1)))
		term.Neg(term)
		s.Add(s, term)
	}
	return s, c
}

func TestSinCosCorrectlyRounded(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 3000; i++ {
		x := (r.Float64()*2 - 1) * 3.2
		if i%3 == 0 {
			x = (r.Float64()*2 - 1) * 1e-3
		}
		bs, bc := bigSinCos(x)
		ws, _ := bs.Float64()
		wc, _ := bc.Float64()
		if got := sin(x); got != ws {
			t.Errorf("sin(%v) = %v; want %v", x, got, ws)
		}
		if got := cos(x); got != wc {
			t.Errorf("cos(%v) = %v; want %v", x, got, wc)
		}
	}
}

func TestAsinCorrectlyRounded(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for i := 0; i < 3000; i++ {
		y := r.Float64()
		if i%4 == 0 {
			y = 1 - r.Float64()*1e-6
		}
		got := asin(y)
		// got is correctly rounded if sin of the neighbours' midpoints
		// brackets y.
		lo := (got + math.Nextafter(got, -1)) / 2
		hi := (got + math.Nextafter(got, 2)) / 2
		sl, _ := bigSinCosMid(got, math.Nextafter(got, -1))
		sh, _ := bigSinCosMid(got, math.Nextafter(got, 2))
		by := new(big.Float).SetPrec(300).SetFloat64(y)
		if sl.Cmp(by) > 0 || sh.Cmp(by) < 0 {
			t.Errorf("asin(%v) = %v not correctly rounded (midpoints %v %v)", y, got, lo, hi)
		}
	}
}

// bigSinCosMid returns sin of the exact midpoint of a and b.
func bigSinCosMid(a, b float64) (*big.Float, *big.Float) {
	const prec = 300
	m := new(big.Float).SetPrec(prec).SetFloat64(a)
	m.Add(m, new(big.Float).SetFloat64(b))
	m.Quo(m, big.NewFloat(2))
	m2 := new(big.Float).SetPrec(prec).Mul(m, m)
	s := new(big.Float).SetPrec(prec).Set(m)
	term := new(big.Float).SetPrec(prec).Set(m)
	for n := int64(1); n < 200; n++ {
		term.Mul(term, m2)
		term.Quo(term, new(big.Float).SetInt64((2*n)*(2*n+1)))
		term.Neg(term)
		s.Add(s, term)
	}
	return s, nil
}

func TestSortPartialMatchesFull(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for i := 0; i < 500; i++ {
		n := r.IntN(100) + 1
		ps := make([]Point, n)
		for j := range ps {
			ps[j] = Point{Dist: float64(r.IntN(20)), Member: strconv.Itoa(j)}
		}
		want := r.IntN(n) + 1
		full := append([]Point(nil), ps...)
		Sort(full, false, n)
		Sort(ps, false, want)
		for j := 0; j < want; j++ {
			if ps[j].Dist != full[j].Dist {
				t.Fatalf("n=%d want=%d: position %d has %v; want %v", n, want, j, ps[j].Dist, full[j].Dist)
			}
		}
	}
}

func BenchmarkDistance(b *testing.B) {
	for i := 0; b.Loop(); i++ {
		Distance(13.361389, 38.115556, 15.087269+float64(i%7)*0.01, 37.502669)
	}
}
