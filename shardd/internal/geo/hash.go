package geo

import "math"

// Limits of the coordinates GEOADD accepts and of the geohash grid.
const (
	LonMin = -180.0
	LonMax = 180.0
	LatMin = -85.05112878
	LatMax = 85.05112878
	// StepMax is the precision of stored positions: 26 bits per axis.
	StepMax = 26
)

// Bits is a geohash of Step bits per axis, interleaved (latitude in the
// even bits). A zero Bits (no bits, no step) marks an unused search box.
type Bits struct {
	Bits uint64
	Step uint8
}

// IsZero reports whether h is the zero (unused) hash.
func (h Bits) IsZero() bool { return h.Bits == 0 && h.Step == 0 }

// interval is a coordinate range.
type interval struct{ min, max float64 }

// Area is the longitude and latitude extent of a geohash box.
type Area struct {
	Hash     Bits
	Lon, Lat interval
}

var (
	lonRange = interval{LonMin, LonMax}
	latRange = interval{LatMin, LatMax}
	// GEOHASH re-encodes over the standard latitude range.
	stdLatRange = interval{-90, 90}
)

// spread moves the low 32 bits of v to the even bit positions.
func spread(v uint64) uint64 {
	v &= 0xFFFFFFFF
	v = (v | v<<16) & 0x0000FFFF0000FFFF
	v = (v | v<<8) & 0x00FF00FF00FF00FF
	v = (v | v<<4) & 0x0F0F0F0F0F0F0F0F
	v = (v | v<<2) & 0x3333333333333333
	v = (v | v<<1) & 0x5555555555555555
	return v
}

// squeeze gathers the even bits of v into the low 32 bits.
func squeeze(v uint64) uint64 {
	v &= 0x5555555555555555
	v = (v | v>>1) & 0x3333333333333333
	v = (v | v>>2) & 0x0F0F0F0F0F0F0F0F
	v = (v | v>>4) & 0x00FF00FF00FF00FF
	v = (v | v>>8) & 0x0000FFFF0000FFFF
	v = (v | v>>16) & 0x00000000FFFFFFFF
	return v
}

// interleave puts lat's bits at the even positions and lon's at the odd
// ones. All 32 bits of each take part: a coordinate exactly on the upper
// limit yields 2^step, one bit above the hash, as in Redis.
func interleave(lat, lon uint32) uint64 {
	return spread(uint64(lat)) | spread(uint64(lon))<<1
}

// deinterleave splits h into its latitude (even) and longitude (odd) bits.
func deinterleave(h uint64) (lat, lon uint32) {
	return uint32(squeeze(h)), uint32(squeeze(h >> 1))
}

// encode computes the geohash of (lon, lat) at step bits per axis over
// the given ranges; false if a coordinate is out of range.
func encode(lonR, latR interval, lon, lat float64, step uint8) (Bits, bool) {
	if step > 32 || step == 0 {
		return Bits{}, false
	}
	if lon > LonMax || lon < LonMin || lat > LatMax || lat < LatMin {
		return Bits{}, false
	}
	if lat < latR.min || lat > latR.max || lon < lonR.min || lon > lonR.max {
		return Bits{Step: step}, false
	}
	latOff := (lat - latR.min) / (latR.max - latR.min)
	lonOff := (lon - lonR.min) / (lonR.max - lonR.min)
	scale := float64(uint64(1) << step)
	latOff *= scale
	lonOff *= scale
	return Bits{interleave(uint32(latOff), uint32(lonOff)), step}, true
}

// Encode returns the stored form (the 52-bit score) of a position that
// is within the limits (check with Valid first).
func Encode(lon, lat float64) uint64 {
	h, _ := encode(lonRange, latRange, lon, lat, StepMax)
	return Align52(h)
}

// Valid reports whether GEOADD accepts the position.
func Valid(lon, lat float64) bool {
	return !(lon < LonMin || lon > LonMax || lat < LatMin || lat > LatMax)
}

// Align52 shifts h to the 52-bit score scale.
func Align52(h Bits) uint64 {
	return h.Bits << (52 - 2*uint(h.Step))
}

// decode returns the box of h over the given ranges.
func decode(lonR, latR interval, h Bits) Area {
	lat, lon := deinterleave(h.Bits)
	latScale := latR.max - latR.min
	lonScale := lonR.max - lonR.min
	den := float64(uint64(1) << h.Step)
	// The float64 conversions keep each product rounded on its own, as
	// the C code computes it (no fused multiply-add).
	return Area{
		Hash: h,
		Lat: interval{
			latR.min + float64(float64(lat)/den*latScale),
			latR.min + float64(float64(lat+1)/den*latScale),
		},
		Lon: interval{
			lonR.min + float64(float64(lon)/den*lonScale),
			lonR.min + float64(float64(lon+1)/den*lonScale),
		},
	}
}

// center returns the middle of a box, clamped to the limits.
func (a Area) center() (lon, lat float64) {
	lon = (a.Lon.min + a.Lon.max) / 2
	lon = min(max(lon, LonMin), LonMax)
	lat = (a.Lat.min + a.Lat.max) / 2
	lat = min(max(lat, LatMin), LatMax)
	return lon, lat
}

// scoreBits converts a score to the integer C's (uint64_t) cast gives on
// x86-64 (Redis decodes any score, geohash or not).
func scoreBits(score float64) uint64 {
	const two63 = 9223372036854775808.0
	if score < two63 {
		if score != score || score < -two63 {
			return 1 << 63 // the "integer indefinite" value
		}
		return uint64(int64(score))
	}
	d := score - two63
	if d >= two63 {
		return 0 // the "integer indefinite" value, flipped
	}
	return uint64(int64(d)) ^ 1<<63
}

// Decode returns the position (longitude, latitude) a score stands for.
func Decode(score float64) (lon, lat float64) {
	return decode(lonRange, latRange, Bits{scoreBits(score), StepMax}).center()
}

const base32 = "0123456789bcdefghjkmnpqrstuvwxyz"

// AppendHash appends GEOHASH's 11-character string for a score: the
// position re-encoded over the standard latitude range [-90, 90], its 52
// bits in ten characters and a final '0'.
func AppendHash(dst []byte, score float64) []byte {
	lon, lat := Decode(score)
	h, _ := encode(lonRange, stdLatRange, lon, lat, StepMax)
	for i := 0; i < 10; i++ {
		dst = append(dst, base32[(h.Bits>>(52-(i+1)*5))&0x1f])
	}
	return append(dst, '0')
}

// moveX moves h one box east (d > 0) or west (d < 0), wrapping around.
func moveX(h *Bits, d int) {
	x := h.Bits & 0xaaaaaaaaaaaaaaaa
	y := h.Bits & 0x5555555555555555
	zz := uint64(0x5555555555555555) >> (64 - 2*uint(h.Step))
	if d > 0 {
		x += zz + 1
	} else {
		x |= zz
		x -= zz + 1
	}
	x &= 0xaaaaaaaaaaaaaaaa >> (64 - 2*uint(h.Step))
	h.Bits = x | y
}

// moveY moves h one box north (d > 0) or south (d < 0), wrapping around.
func moveY(h *Bits, d int) {
	x := h.Bits & 0xaaaaaaaaaaaaaaaa
	y := h.Bits & 0x5555555555555555
	zz := uint64(0xaaaaaaaaaaaaaaaa) >> (64 - 2*uint(h.Step))
	if d > 0 {
		y += zz + 1
	} else {
		y |= zz
		y -= zz + 1
	}
	y &= 0x5555555555555555 >> (64 - 2*uint(h.Step))
	h.Bits = x | y
}

// Box indexes in the order Redis scans them.
const (
	boxCenter = iota
	boxNorth
	boxSouth
	boxEast
	boxWest
	boxNorthEast
	boxNorthWest
	boxSouthEast
	boxSouthWest
)

// neighbours returns h and its eight neighbours in scan order.
func neighbours(h Bits) [9]Bits {
	var n [9]Bits
	for i := range n {
		n[i] = h
	}
	moveX(&n[boxEast], 1)
	moveX(&n[boxWest], -1)
	moveY(&n[boxSouth], -1)
	moveY(&n[boxNorth], 1)
	moveX(&n[boxNorthWest], -1)
	moveY(&n[boxNorthWest], 1)
	moveX(&n[boxSouthWest], -1)
	moveY(&n[boxSouthWest], -1)
	moveX(&n[boxSouthEast], 1)
	moveY(&n[boxSouthEast], -1)
	moveX(&n[boxNorthEast], 1)
	moveY(&n[boxNorthEast], 1)
	return n
}

// Shape is a search area: a circle of Radius, or a box of Width by
// Height, in units of Conversion meters, centred at (Lon, Lat).
type Shape struct {
	Lon, Lat      float64
	Box           bool
	Radius        float64
	Width, Height float64
	Conversion    float64

	// cosLat caches the cosine of Lat (in radians) once cosSet.
	cosLat float64
	cosSet bool
}

const mercatorMax = 20037726.37

// estimateSteps is Redis's choice of geohash precision for a search
// radius in meters at a latitude.
func estimateSteps(rangeMeters, lat float64) uint8 {
	if rangeMeters == 0 {
		return 26
	}
	step := 1
	for rangeMeters < mercatorMax {
		rangeMeters *= 2
		step++
	}
	step -= 2
	if lat > 66 || lat < -66 {
		step--
		if lat > 80 || lat < -80 {
			step--
		}
	}
	return uint8(min(max(step, 1), 26))
}

// boundingBox returns the longitude and latitude bounds of s.
func (s *Shape) boundingBox() (minLon, minLat, maxLon, maxLat float64) {
	var height, width float64
	if s.Box {
		height = s.Conversion * (s.Height / 2)
		width = s.Conversion * (s.Width / 2)
	} else {
		height = s.Conversion * s.Radius
		width = s.Conversion * s.Radius
	}
	latDelta := radDeg(height / EarthRadius)
	lonDeltaTop := radDeg(width / EarthRadius / cos(degRad(s.Lat+latDelta)))
	lonDeltaBottom := radDeg(width / EarthRadius / cos(degRad(s.Lat-latDelta)))
	if s.Lat < 0 {
		minLon, maxLon = s.Lon-lonDeltaBottom, s.Lon+lonDeltaBottom
	} else {
		minLon, maxLon = s.Lon-lonDeltaTop, s.Lon+lonDeltaTop
	}
	return minLon, s.Lat - latDelta, maxLon, s.Lat + latDelta
}

// Boxes returns the nine geohash boxes Redis scans for s, in its scan
// order: the centre, N, S, E, W, NE, NW, SE, SW. Unused boxes are zero.
func (s *Shape) Boxes() [9]Bits {
	minLon, minLat, maxLon, maxLat := s.boundingBox()
	var radius float64
	if s.Box {
		radius = math.Sqrt((s.Width/2)*(s.Width/2) + (s.Height/2)*(s.Height/2))
	} else {
		radius = s.Radius
	}
	radius *= s.Conversion
	steps := estimateSteps(radius, s.Lat)
	h, _ := encode(lonRange, latRange, s.Lon, s.Lat, steps)
	n := neighbours(h)
	area := decode(lonRange, latRange, h)

	// A step that is not small enough leaves part of the area beyond the
	// neighbours; then take one step less.
	north := decode(lonRange, latRange, n[boxNorth])
	south := decode(lonRange, latRange, n[boxSouth])
	east := decode(lonRange, latRange, n[boxEast])
	west := decode(lonRange, latRange, n[boxWest])
	if steps > 1 && (north.Lat.max < maxLat || south.Lat.min > minLat ||
		east.Lon.max < maxLon || west.Lon.min > minLon) {
		steps--
		h, _ = encode(lonRange, latRange, s.Lon, s.Lat, steps)
		n = neighbours(h)
		area = decode(lonRange, latRange, h)
	}

	// Drop the neighbours the area cannot reach.
	if steps >= 2 {
		if area.Lat.min < minLat {
			n[boxSouth], n[boxSouthWest], n[boxSouthEast] = Bits{}, Bits{}, Bits{}
		}
		if area.Lat.max > maxLat {
			n[boxNorth], n[boxNorthEast], n[boxNorthWest] = Bits{}, Bits{}, Bits{}
		}
		if area.Lon.min < minLon {
			n[boxWest], n[boxSouthWest], n[boxNorthWest] = Bits{}, Bits{}, Bits{}
		}
		if area.Lon.max > maxLon {
			n[boxEast], n[boxSouthEast], n[boxNorthEast] = Bits{}, Bits{}, Bits{}
		}
	}
	return n
}

// ScoreRange returns the scores [min, max) of the members in box h.
func ScoreRange(h Bits) (min, max float64) {
	lo := Align52(h)
	h.Bits++
	return float64(lo), float64(Align52(h))
}

// Within reports whether the position (lon, lat) is inside s, and its
// distance in meters from s's centre.
func (s *Shape) Within(lon, lat float64) (float64, bool) {
	if !s.cosSet {
		s.cosLat, s.cosSet = cos(degRad(s.Lat)), true
	}
	if !s.Box {
		d := distance(s.Lon, s.Lat, lon, lat, s.cosLat)
		return d, d <= s.Radius*s.Conversion
	}
	if latDistance(lat, s.Lat) > s.Height*s.Conversion/2 {
		return 0, false
	}
	if Distance(lon, lat, s.Lon, lat) > s.Width*s.Conversion/2 {
		return 0, false
	}
	return distance(s.Lon, s.Lat, lon, lat, s.cosLat), true
}
