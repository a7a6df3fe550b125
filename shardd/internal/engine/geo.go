package engine

import (
	"math"
	"strconv"

	"github.com/shardis/shardis/pkg/slot"
	"github.com/shardis/shardis/shardd/internal/ds"
	"github.com/shardis/shardis/shardd/internal/geo"
)

// geoCommands are the geo commands: sorted sets whose scores are 52-bit
// geohashes (package geo holds the arithmetic). Semantics, replies and
// errors follow Redis 7.0's geo.c, including the order in which search
// results come out.
func geoCommands() map[string]handler {
	return map[string]handler{
		"geoadd":               cmdGeoAdd,
		"geopos":               cmdGeoPos,
		"geodist":              cmdGeoDist,
		"geohash":              cmdGeoHash,
		"geosearch":            func(x *Ctx) { x.geoSearch(1, geoSearch) },
		"geosearchstore":       func(x *Ctx) { x.geoSearch(2, geoSearch|geoSearchStore) },
		"georadius":            func(x *Ctx) { x.geoSearch(1, geoRadiusCoords) },
		"georadius_ro":         func(x *Ctx) { x.geoSearch(1, geoRadiusCoords|geoNoStore) },
		"georadiusbymember":    func(x *Ctx) { x.geoSearch(1, geoRadiusMember) },
		"georadiusbymember_ro": func(x *Ctx) { x.geoSearch(1, geoRadiusMember|geoNoStore) },
	}
}

var (
	errGeoUnit       = simpleError("ERR unsupported unit provided. please use M, KM, FT, MI")
	errGeoMember     = simpleError("ERR could not decode requested zset member")
	errGeoRadius     = simpleError("ERR need numeric radius")
	errGeoNegRadius  = simpleError("ERR radius cannot be negative")
	errGeoWidth      = simpleError("ERR need numeric width")
	errGeoHeight     = simpleError("ERR need numeric height")
	errGeoNegBox     = simpleError("ERR height or width cannot be negative")
	errGeoCount      = simpleError("ERR COUNT must be > 0")
	errGeoAnyCount   = simpleError("ERR the ANY argument requires COUNT argument")
	errGeoStoreOpts  = simpleError("ERR STORE option in GEORADIUS is not compatible with WITHDIST, WITHHASH and WITHCOORD options")
	errGeoSStoreOpts = simpleError("ERR GEOSEARCHSTORE is not compatible with WITHDIST, WITHHASH and WITHCOORD options")
)

// appendCFloat formats f as C's printf("%f") does.
func appendCFloat(dst []byte, f float64) []byte {
	switch {
	case math.IsInf(f, 1):
		return append(dst, "inf"...)
	case math.IsInf(f, -1):
		return append(dst, "-inf"...)
	}
	return strconv.AppendFloat(dst, f, 'f', 6, 64)
}

// parseLonLat parses a longitude and latitude as Redis's
// extractLongLatOrReply, replying with the error if any.
func (x *Ctx) parseLonLat(lonArg, latArg []byte) (lon, lat float64, ok bool) {
	if lon, ok = parseScore(lonArg); !ok {
		x.r.Err(ErrNotFloat)
		return 0, 0, false
	}
	if lat, ok = parseScore(latArg); !ok {
		x.r.Err(ErrNotFloat)
		return 0, 0, false
	}
	if !geo.Valid(lon, lat) {
		b := append([]byte("ERR invalid longitude,latitude pair "), appendCFloat(nil, lon)...)
		b = append(b, ',')
		b = appendCFloat(b, lat)
		x.r.Error(string(b))
		return 0, 0, false
	}
	return lon, lat, true
}

// parseUnit returns how many meters a unit argument is worth, replying
// with the error if it is no unit.
func (x *Ctx) parseUnit(b []byte) (float64, bool) {
	switch {
	case optIs(b, "m"):
		return 1, true
	case optIs(b, "km"):
		return 1000, true
	case optIs(b, "ft"):
		return 0.3048, true
	case optIs(b, "mi"):
		return 1609.34, true
	}
	x.r.Err(errGeoUnit)
	return 0, false
}

// parseRadius parses "radius unit" as Redis's extractDistanceOrReply.
func (x *Ctx) parseRadius(args [][]byte) (radius, conversion float64, ok bool) {
	if radius, ok = parseScore(args[0]); !ok {
		x.r.Err(errGeoRadius)
		return 0, 0, false
	}
	if radius < 0 {
		x.r.Err(errGeoNegRadius)
		return 0, 0, false
	}
	conversion, ok = x.parseUnit(args[1])
	return radius, conversion, ok
}

// parseBox parses "width height unit" as Redis's extractBoxOrReply.
func (x *Ctx) parseBox(args [][]byte) (width, height, conversion float64, ok bool) {
	if width, ok = parseScore(args[0]); !ok {
		x.r.Err(errGeoWidth)
		return 0, 0, 0, false
	}
	if height, ok = parseScore(args[1]); !ok {
		x.r.Err(errGeoHeight)
		return 0, 0, 0, false
	}
	if height < 0 || width < 0 {
		x.r.Err(errGeoNegBox)
		return 0, 0, 0, false
	}
	conversion, ok = x.parseUnit(args[2])
	return width, height, conversion, ok
}

// appendHumanFloat formats f as Redis's LD_STR_HUMAN: "%.17Lf" without
// trailing zeros (nor a trailing point), and "-0" as "0".
func appendHumanFloat(dst []byte, f float64) []byte {
	start := len(dst)
	dst = strconv.AppendFloat(dst, f, 'f', 17, 64)
	l := len(dst)
	for l > start && dst[l-1] == '0' {
		l--
	}
	if l > start && dst[l-1] == '.' {
		l--
	}
	dst = dst[:l]
	if string(dst[start:]) == "-0" {
		dst = append(dst[:start], '0')
	}
	return dst
}

// geoCoord writes a coordinate as Redis's addReplyHumanLongDouble: a
// bulk string in RESP2, a double in RESP3.
func (x *Ctx) geoCoord(f float64) {
	var tmp [64]byte
	if x.r.proto == 2 {
		x.r.Bulk(appendHumanFloat(tmp[:0], f))
		return
	}
	b := append(tmp[:0], ',')
	b = appendHumanFloat(b, f)
	b = append(b, '\r', '\n')
	x.r.Raw(b)
}

// geoDistance writes a distance as Redis 7.0 does: with four decimals,
// in a bulk string.
func (x *Ctx) geoDistance(d float64) {
	var tmp [64]byte
	x.r.Bulk(appendFixed4(tmp[:0], d))
}

// appendFixed4 formats d with four decimals the way Redis's
// fixedpoint_d2string does: it rounds d*10000 to an integer, ties to
// even (llrint), rather than rounding d's exact value as printf's "%.4f"
// would; the two differ when d*10000 rounds to a tie.
func appendFixed4(dst []byte, d float64) []byte {
	const digits = 4
	if d == 0 {
		return append(dst, "0.0000"...)
	}
	v := int64(math.RoundToEven(d * 10000))
	u := uint64(v)
	if v < 0 {
		dst = append(dst, '-')
		u = -u
	}
	var tmp [24]byte
	s := strconv.AppendUint(tmp[:0], u, 10)
	if len(s) <= digits {
		dst = append(dst, "0."...)
		for i := len(s); i < digits; i++ {
			dst = append(dst, '0')
		}
		return append(dst, s...)
	}
	dst = append(dst, s[:len(s)-digits]...)
	dst = append(dst, '.')
	return append(dst, s[len(s)-digits:]...)
}

// cmdGeoAdd: GEOADD key [NX|XX] [CH] lon lat member [lon lat member ...]
func cmdGeoAdd(x *Ctx) {
	args := x.args
	var fl zaddFlags
	idx := 2
	for ; idx < len(args); idx++ {
		a := args[idx]
		switch {
		case optIs(a, "nx"):
			fl |= zaddNX
		case optIs(a, "xx"):
			fl |= zaddXX
		case optIs(a, "ch"):
			fl |= zaddCH
		default:
			goto parsed
		}
	}
parsed:
	if (len(args)-idx)%3 != 0 || fl&zaddNX != 0 && fl&zaddXX != 0 || idx == len(args) {
		x.r.Err(ErrSyntax)
		return
	}
	n := (len(args) - idx) / 3
	var buf [16]float64
	scores := buf[:0]
	if n > len(buf) {
		scores = make([]float64, 0, n)
	}
	for i := 0; i < n; i++ {
		lon, lat, ok := x.parseLonLat(args[idx+3*i], args[idx+3*i+1])
		if !ok {
			return
		}
		scores = append(scores, float64(geo.Encode(lon, lat)))
	}
	x.zaddScores(args[1], fl, scores, args, idx+2, 3)
}

// cmdGeoPos: GEOPOS key [member ...]
func cmdGeoPos(x *Ctx) {
	z, err := x.lookupZSet(x.args[1])
	if err != nil {
		x.r.Err(err)
		return
	}
	x.r.Array(len(x.args) - 2)
	for _, m := range x.args[2:] {
		var score float64
		ok := false
		if z != nil {
			score, ok = z.Score(m)
		}
		if !ok {
			x.r.NullArray()
			continue
		}
		lon, lat := geo.Decode(score)
		x.r.Array(2)
		x.geoCoord(lon)
		x.geoCoord(lat)
	}
}

// cmdGeoDist: GEODIST key member1 member2 [M|KM|FT|MI]
func cmdGeoDist(x *Ctx) {
	toMeters := 1.0
	switch {
	case len(x.args) == 5:
		var ok bool
		if toMeters, ok = x.parseUnit(x.args[4]); !ok {
			return
		}
	case len(x.args) > 5:
		x.r.Err(ErrSyntax)
		return
	}
	z, err := x.lookupZSet(x.args[1])
	switch {
	case err != nil:
		x.r.Err(err)
		return
	case z == nil:
		x.r.Null()
		return
	}
	s1, ok1 := z.Score(x.args[2])
	s2, ok2 := z.Score(x.args[3])
	if !ok1 || !ok2 {
		x.r.Null()
		return
	}
	lon1, lat1 := geo.Decode(s1)
	lon2, lat2 := geo.Decode(s2)
	x.geoDistance(geo.Distance(lon1, lat1, lon2, lat2) / toMeters)
}

// cmdGeoHash: GEOHASH key [member ...]
func cmdGeoHash(x *Ctx) {
	z, err := x.lookupZSet(x.args[1])
	if err != nil {
		x.r.Err(err)
		return
	}
	x.r.Array(len(x.args) - 2)
	var tmp [16]byte
	for _, m := range x.args[2:] {
		var score float64
		ok := false
		if z != nil {
			score, ok = z.Score(m)
		}
		if !ok {
			x.r.Null()
			continue
		}
		x.r.Bulk(geo.AppendHash(tmp[:0], score))
	}
}

// Flags of geoSearch: which command runs it.
const (
	geoRadiusCoords = 1 << iota // GEORADIUS[_RO]
	geoRadiusMember             // GEORADIUSBYMEMBER[_RO]
	geoNoStore                  // the _RO forms
	geoSearch                   // GEOSEARCH[STORE]
	geoSearchStore              // GEOSEARCHSTORE
)

type geoSort uint8

const (
	geoSortNone geoSort = iota
	geoSortAsc
	geoSortDesc
)

// geoSearch is Redis's georadiusGeneric, behind GEORADIUS,
// GEORADIUSBYMEMBER, their _RO forms, GEOSEARCH and GEOSEARCHSTORE; the
// source key is at srcIdx.
func (x *Ctx) geoSearch(srcIdx int, flags int) {
	args := x.args
	z, err := x.lookupZSet(args[srcIdx])
	if err != nil {
		x.r.Err(err)
		return
	}
	var shape geo.Shape
	var baseArgs int
	var storeKey []byte
	storeIdx := 0
	var ok bool
	switch {
	case flags&geoRadiusCoords != 0:
		baseArgs = 6
		if shape.Lon, shape.Lat, ok = x.parseLonLat(args[2], args[3]); !ok {
			return
		}
		if shape.Radius, shape.Conversion, ok = x.parseRadius(args[4:6]); !ok {
			return
		}
	case flags&geoRadiusMember != 0 && z == nil:
		// No source: parse the options for the reply's shape only.
		baseArgs = 5
	case flags&geoRadiusMember != 0:
		baseArgs = 5
		score, found := z.Score(args[2])
		if !found {
			x.r.Err(errGeoMember)
			return
		}
		shape.Lon, shape.Lat = geo.Decode(score)
		if shape.Radius, shape.Conversion, ok = x.parseRadius(args[3:5]); !ok {
			return
		}
	default:
		baseArgs = 2
		if flags&geoSearchStore != 0 {
			baseArgs = 3
			storeKey, storeIdx = args[1], 1
		}
	}

	var withDist, withHash, withCoord, any, storeDist bool
	var fromMember, fromLonLat, byRadius, byBox bool
	sort := geoSortNone
	var count int64
	search := flags&geoSearch != 0
	for i := baseArgs; i < len(args); i++ {
		a := args[i]
		left := len(args) - 1 - i
		switch {
		case optIs(a, "withdist"):
			withDist = true
		case optIs(a, "withhash"):
			withHash = true
		case optIs(a, "withcoord"):
			withCoord = true
		case optIs(a, "any"):
			any = true
		case optIs(a, "asc"):
			sort = geoSortAsc
		case optIs(a, "desc"):
			sort = geoSortDesc
		case optIs(a, "count") && left >= 1:
			if count, err = parseInt(args[i+1]); err != nil {
				x.r.Err(err)
				return
			}
			if count <= 0 {
				x.r.Err(errGeoCount)
				return
			}
			i++
		case (optIs(a, "store") || optIs(a, "storedist")) && left >= 1 && flags&geoNoStore == 0 && !search:
			storeKey, storeIdx = args[i+1], i+1
			storeDist = optIs(a, "storedist")
			i++
		case optIs(a, "storedist") && flags&geoSearchStore != 0:
			storeDist = true
		case optIs(a, "frommember") && left >= 1 && search && !fromLonLat:
			if z != nil {
				score, found := z.Score(args[i+1])
				if !found {
					x.r.Err(errGeoMember)
					return
				}
				shape.Lon, shape.Lat = geo.Decode(score)
			}
			fromMember = true
			i++
		case optIs(a, "fromlonlat") && left >= 2 && search && !fromMember:
			if shape.Lon, shape.Lat, ok = x.parseLonLat(args[i+1], args[i+2]); !ok {
				return
			}
			fromLonLat = true
			i += 2
		case optIs(a, "byradius") && left >= 2 && search && !byBox:
			if shape.Radius, shape.Conversion, ok = x.parseRadius(args[i+1 : i+3]); !ok {
				return
			}
			shape.Box = false
			byRadius = true
			i += 2
		case optIs(a, "bybox") && left >= 3 && search && !byRadius:
			if shape.Width, shape.Height, shape.Conversion, ok = x.parseBox(args[i+1 : i+4]); !ok {
				return
			}
			shape.Box = true
			byBox = true
			i += 3
		default:
			x.r.Err(ErrSyntax)
			return
		}
	}
	switch {
	case storeKey != nil && (withDist || withHash || withCoord):
		if flags&geoSearchStore != 0 {
			x.r.Err(errGeoSStoreOpts)
		} else {
			x.r.Err(errGeoStoreOpts)
		}
		return
	case search && !fromMember && !fromLonLat:
		x.r.Error("ERR exactly one of FROMMEMBER or FROMLONLAT can be specified for " + string(cstr(args[0])))
		return
	case search && !byRadius && !byBox:
		x.r.Error("ERR exactly one of BYRADIUS and BYBOX can be specified for " + string(cstr(args[0])))
		return
	case any && count == 0:
		x.r.Err(errGeoAnyCount)
		return
	}
	if storeKey != nil && !x.locked(storeIdx) {
		// Only a repeated STORE option gets here: the command table
		// locks the first STORE key, Redis stores into the last one.
		x.r.Err(ErrSyntax)
		return
	}
	if z == nil {
		if storeKey != nil {
			x.del(storeKey)
			x.r.Int(0)
		} else {
			x.r.Array(0)
		}
		return
	}
	if count != 0 && sort == geoSortNone && !any {
		sort = geoSortAsc
	}
	limit := 0
	if any {
		limit = int(min(count, math.MaxInt32))
	}
	points := geoScan(z, &shape, limit)
	if len(points) == 0 && storeKey == nil {
		x.r.Array(0)
		return
	}
	n := len(points)
	if count != 0 && int64(n) > count {
		n = int(count)
	}
	if sort != geoSortNone {
		geo.Sort(points, sort == geoSortDesc, n)
	}
	if storeKey != nil {
		dst := ds.NewZSetSkiplist()
		for _, p := range points[:n] {
			score := p.Score
			if storeDist {
				score = p.Dist / shape.Conversion
			}
			dst.AddString(p.Member, score)
		}
		dst.FitListpack()
		x.zStore(storeKey, dst)
		return
	}
	opts := 0
	for _, o := range []bool{withDist, withHash, withCoord} {
		if o {
			opts++
		}
	}
	x.r.Array(n)
	for _, p := range points[:n] {
		if opts > 0 {
			x.r.Array(opts + 1)
		}
		x.r.BulkString(p.Member)
		if withDist {
			x.geoDistance(p.Dist / shape.Conversion)
		}
		if withHash {
			x.r.Int(int64(p.Score))
		}
		if withCoord {
			x.r.Array(2)
			x.geoCoord(p.Lon)
			x.geoCoord(p.Lat)
		}
	}
}

// locked reports whether the dispatcher locked the slot of argument i.
func (x *Ctx) locked(i int) bool {
	var buf [8]int
	s := slot.Of(x.args[i])
	for _, p := range x.spec.AppendKeyPositions(buf[:0], x.args) {
		if p == i || slot.Of(x.args[p]) == s {
			return true
		}
	}
	return false
}

// geoScan collects the members of z inside shape the way Redis does: box
// by box in its scan order, skipping unused boxes and a box equal to the
// one scanned just before, and stopping at limit results (0: no limit).
func geoScan(z *ds.ZSet, shape *geo.Shape, limit int) []geo.Point {
	boxes := shape.Boxes()
	var points []geo.Point
	last := 0
	for i, b := range boxes {
		if b.IsZero() {
			continue
		}
		if last != 0 && b == boxes[last] {
			continue
		}
		if len(points) > 0 && limit > 0 && len(points) >= limit {
			break
		}
		lo, hi := geo.ScoreRange(b)
		r := ds.ScoreRange{Min: lo, Max: hi, MaxEx: true}
		for c := z.CursorScore(r, false); c.Ok() && r.LteMax(c.Score()); c.Next() {
			lon, lat := geo.Decode(c.Score())
			if d, in := shape.Within(lon, lat); in {
				points = append(points, geo.Point{Lon: lon, Lat: lat, Dist: d, Score: c.Score(), Member: c.Member()})
			}
			if len(points) > 0 && limit > 0 && len(points) >= limit {
				break
			}
		}
		last = i
	}
	return points
}
