package geo

import "slices"

// Point is a search result: a member, its position, its score and its
// distance in meters from the search centre.
type Point struct {
	Lon, Lat float64
	Dist     float64
	Score    float64
	Member   string
}

func byDist(a, b *Point) int {
	switch {
	case a.Dist > b.Dist:
		return 1
	case a.Dist == b.Dist:
		return 0
	}
	return -1
}

func byDistDesc(a, b *Point) int { return -byDist(a, b) }

// Sort orders ps by distance, ascending or descending, as Redis does when
// it will reply with the first want of them: all of them with a stable
// sort (glibc's qsort is a merge sort), else with Redis's partial
// quicksort of the first want, whose order among equal distances this
// reproduces.
func Sort(ps []Point, desc bool, want int) {
	cmp := byDist
	if desc {
		cmp = byDistDesc
	}
	if want >= len(ps) {
		slices.SortStableFunc(ps, func(a, b Point) int { return cmp(&a, &b) })
		return
	}
	if want > 0 {
		(&psort{a: ps, cmp: cmp, l: 0, r: want - 1}).sort(0, len(ps))
	}
}

// psort is the Bentley-McIlroy quicksort that Redis 7.0's pqsort is
// (without the BSD switch to insertion sort when a partition needed no
// swap), which skips the partitions that hold no index in [l, r].
type psort struct {
	a    []Point
	cmp  func(a, b *Point) int
	l, r int
}

func (p *psort) swap(i, j int) { p.a[i], p.a[j] = p.a[j], p.a[i] }

func (p *psort) less(i, j int) int { return p.cmp(&p.a[i], &p.a[j]) }

func (p *psort) vecswap(i, j, n int) {
	for k := 0; k < n; k++ {
		p.swap(i+k, j+k)
	}
}

func (p *psort) med3(a, b, c int) int {
	if p.less(a, b) < 0 {
		if p.less(b, c) < 0 {
			return b
		}
		if p.less(a, c) < 0 {
			return c
		}
		return a
	}
	if p.less(b, c) > 0 {
		return b
	}
	if p.less(a, c) < 0 {
		return a
	}
	return c
}

func (p *psort) insertion(base, n int) {
	for pm := base + 1; pm < base+n; pm++ {
		for pl := pm; pl > base && p.less(pl-1, pl) > 0; pl-- {
			p.swap(pl, pl-1)
		}
	}
}

// wanted reports whether the segment [s, s+n) holds an index in [l, r].
func (p *psort) wanted(s, n int) bool {
	return !(p.r < s || p.l >= s+n)
}

// sort sorts the segment of n elements at base.
func (p *psort) sort(base, n int) {
	for {
		if n < 7 {
			p.insertion(base, n)
			return
		}
		pm := base + n/2
		if n > 7 {
			pl, pn := base, base+n-1
			if n > 40 {
				d := n / 8
				pl = p.med3(pl, pl+d, pl+2*d)
				pm = p.med3(pm-d, pm, pm+d)
				pn = p.med3(pn-2*d, pn-d, pn)
			}
			pm = p.med3(pl, pm, pn)
		}
		p.swap(base, pm)
		pa, pb := base+1, base+1
		pc, pd := base+n-1, base+n-1
		for {
			for pb <= pc {
				c := p.less(pb, base)
				if c > 0 {
					break
				}
				if c == 0 {
					p.swap(pa, pb)
					pa++
				}
				pb++
			}
			for pb <= pc {
				c := p.less(pc, base)
				if c < 0 {
					break
				}
				if c == 0 {
					p.swap(pc, pd)
					pd--
				}
				pc--
			}
			if pb > pc {
				break
			}
			p.swap(pb, pc)
			pb++
			pc--
		}
		pn := base + n
		r := min(pa-base, pb-pa)
		p.vecswap(base, pb-r, r)
		r = min(pd-pc, pn-pd-1)
		p.vecswap(pb, pn-r, r)
		if r = pb - pa; r > 1 && p.wanted(base, r) {
			p.sort(base, r)
		}
		r = pd - pc
		if r <= 1 {
			return
		}
		base, n = pn-r, r
		if !p.wanted(base, n) {
			return
		}
	}
}
