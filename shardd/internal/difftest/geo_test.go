package difftest

import (
	"context"
	"fmt"
	"math"
	"reflect"
	"strconv"
	"testing"

	"github.com/shardis/shardis/shardd/internal/redisproc"
	"github.com/shardis/shardis/shardd/internal/shardtest"
	"pgregory.net/rapid"
)

// geoScoresDiff compares the members and scores of key on both servers.
// Scores that are distances (stored by STOREDIST) are compared to a few
// units in the last place: Redis computes them with glibc's sin, cos and
// asin, which are not always correctly rounded, and shardd's are (see
// package geo); every other score must be equal.
func geoScoresDiff(ctx context.Context, p *Pair, key string) string {
	c := C("ZRANGE", key, "0", "-1", "WITHSCORES")
	want, got := p.Do(ctx, c)
	if reflect.DeepEqual(want, got) {
		return ""
	}
	if geoClose(want.Val, got.Val) && want.Err == got.Err {
		return ""
	}
	return fmt.Sprintf("%s\n  redis-server: %s\n  shardd:       %s", c, want, got)
}

// geoClose reports whether two replies are equal but for floats (or
// strings holding them) a few units in the last place apart.
func geoClose(a, b any) bool {
	switch av := a.(type) {
	case []any:
		bv, ok := b.([]any)
		if !ok || len(av) != len(bv) {
			return false
		}
		for i := range av {
			if !geoClose(av[i], bv[i]) {
				return false
			}
		}
		return true
	case string:
		bv, ok := b.(string)
		if !ok {
			return false
		}
		if av == bv {
			return true
		}
		af, err1 := strconv.ParseFloat(av, 64)
		bf, err2 := strconv.ParseFloat(bv, 64)
		return err1 == nil && err2 == nil && geoULPs(af, bf)
	case float64:
		bv, ok := b.(float64)
		return ok && geoULPs(av, bv)
	}
	return reflect.DeepEqual(a, b)
}

func geoULPs(a, b float64) bool {
	return math.Abs(a-b) <= 4*math.Abs(math.Nextafter(a, math.Inf(1))-a)
}

// TestGeo is the differential property of the geo commands: random
// positions, near each other (so that searches find several members,
// some at equal distances) and far apart, and searches of every shape
// and option must get exactly redis-server's replies: the same members
// in the same order (unsorted replies come in Redis's geohash box order),
// the same distances to four decimals, coordinates and hashes.
func TestGeo(t *testing.T) {
	redisAddr := redisproc.Start(t)
	srv := shardtest.Start(t)
	for _, proto := range []int{2, 3} {
		t.Run(fmt.Sprintf("RESP%d", proto), func(t *testing.T) {
			ctx := context.Background()
			p := NewPair(redisAddr, srv.Addr, proto)
			defer p.Close()
			rapid.Check(t, func(rt *rapid.T) {
				if d := p.Diff(ctx, C("FLUSHALL")); d != "" {
					rt.Fatal(d)
				}
				n := rapid.IntRange(1, 300).Draw(rt, "n")
				for i := 0; i < n; i++ {
					if d := p.Diff(ctx, geoCmd().Draw(rt, "cmd")); d != "" {
						rt.Fatal(d)
					}
				}
				for _, k := range geoKeys {
					if d := geoScoresDiff(ctx, p, k); d != "" {
						rt.Fatal(d)
					}
				}
			})
		})
	}
}

var (
	// geoKeys: two geo sets, a destination in the first one's slot and a
	// string.
	geoKeys    = []string{"g1", "g2", "{g1}d", "str"}
	geoKeyPool = []string{"g1", "g1", "g1", "g2", "{g1}d", "str"}
	geoMembers = []string{"a", "b", "c", "d", "e", "f", "g", "h", "", "\x00x", "Palermo"}
	// geoCenters are places the "near" positions cluster around.
	geoCenters = [][2]float64{
		{13.361389, 38.115556}, {-0.1, 51.5}, {179.9, 0}, {-179.95, -10}, {0, 0}, {2.35, 85.0},
		{100, -84.9}, {-73.98, 40.75},
	}
	geoSpecialLon = []string{"0", "-0", "180", "-180", "179.99999999", "1e-10", "-180.0", "90"}
	geoSpecialLat = []string{"0", "-0", "85.05112878", "-85.05112878", "85.051128", "-1e-10", "66.5", "80.1"}
	geoBadCoords  = []string{"181", "-180.0001", "85.06", "-85.0511288", "abc", "", "nan", "inf", "1e400", " 1"}
	geoUnits      = []string{"m", "km", "mi", "ft", "KM", "Mi", "M"}
	geoRadii      = []string{
		"0", "0.001", "1", "10", "100", "500", "1000", "5000", "20000", "100000", "500000", "1000000",
		"5000000", "20000000", "40000000", "1e9", "123.456",
	}
	geoBadRadii = []string{"-1", "abc", "", "nan", "-0.001"}
)

func geoKey(t *rapid.T) string { return rapid.SampledFrom(geoKeyPool).Draw(t, "key") }

// geoMember draws the first few members more often, so that they exist.
func geoMember(t *rapid.T) string {
	if rapid.Bool().Draw(t, "commonmember") {
		return rapid.SampledFrom(geoMembers[:4]).Draw(t, "member")
	}
	return rapid.SampledFrom(geoMembers).Draw(t, "member")
}

// geoFloat draws a coordinate in [lo, hi], printed with 6 or 2 decimals
// or in full (never rounded beyond the range).
func geoFloat(t *rapid.T, lo, hi float64, label string) string {
	f := rapid.Float64Range(lo, hi).Draw(t, label)
	var s string
	switch rapid.IntRange(0, 2).Draw(t, label+"fmt") {
	case 0:
		s = strconv.FormatFloat(f, 'f', 6, 64)
	case 1:
		s = strconv.FormatFloat(f, 'f', 2, 64)
	}
	if v, err := strconv.ParseFloat(s, 64); err != nil || v < lo || v > hi {
		s = strconv.FormatFloat(f, 'g', -1, 64)
	}
	return s
}

// geoPos returns a longitude and latitude: near a centre (on a coarse
// grid, so that positions repeat), anywhere, special, or invalid.
func geoPos(t *rapid.T) (string, string) {
	switch rapid.IntRange(0, 19).Draw(t, "poskind") {
	case 0:
		if !zRare(t, 3, "bad") {
			return geoFloat(t, -180, 180, "lon"), geoFloat(t, -85.05112878, 85.05112878, "lat")
		}
		if rapid.Bool().Draw(t, "badlon") {
			return rapid.SampledFrom(geoBadCoords).Draw(t, "lon"), "0"
		}
		return "0", rapid.SampledFrom(geoBadCoords).Draw(t, "lat")
	case 1, 2:
		return rapid.SampledFrom(geoSpecialLon).Draw(t, "lon"), rapid.SampledFrom(geoSpecialLat).Draw(t, "lat")
	case 3, 4, 5, 6:
		return geoFloat(t, -180, 180, "lon"), geoFloat(t, -85.05112878, 85.05112878, "lat")
	}
	c := rapid.SampledFrom(geoCenters).Draw(t, "center")
	scale := rapid.SampledFrom([]float64{0.0001, 0.01, 0.5, 3}).Draw(t, "scale")
	dx := float64(rapid.IntRange(-4, 4).Draw(t, "dx")) * scale
	dy := float64(rapid.IntRange(-4, 4).Draw(t, "dy")) * scale
	lon := min(max(c[0]+dx, -180), 180)
	lat := min(max(c[1]+dy, -85.05112878), 85.05112878)
	return strconv.FormatFloat(lon, 'f', -1, 64), strconv.FormatFloat(lat, 'f', -1, 64)
}

func geoRadius(t *rapid.T) string { return zPick(t, geoRadii, geoBadRadii, "radius") }

func geoUnit(t *rapid.T) string {
	if zRare(t, 26, "badunit") {
		return rapid.SampledFrom([]string{"yd", "", "kms"}).Draw(t, "unit")
	}
	return rapid.SampledFrom(geoUnits).Draw(t, "unit")
}

// geoOpts returns a random selection of the reply options.
func geoOpts(t *rapid.T, store bool) []string {
	var out []string
	for i := rapid.IntRange(0, 4).Draw(t, "nopts"); i > 0; i-- {
		switch rapid.IntRange(0, 7).Draw(t, "opt") {
		case 0:
			if !store || zRare(t, 10, "storewith") {
				out = append(out, zWord(t, "withdist"))
			}
		case 1:
			if !store || zRare(t, 10, "storewith") {
				out = append(out, zWord(t, "withcoord"))
			}
		case 2:
			if !store || zRare(t, 10, "storewith") {
				out = append(out, zWord(t, "withhash"))
			}
		case 3:
			out = append(out, zWord(t, "asc"))
		case 4:
			out = append(out, zWord(t, "desc"))
		case 5, 6:
			out = append(out, zWord(t, "count"), zPick(t, []string{"1", "2", "3", "5", "100"}, []string{"0", "-1", "x"}, "count"))
			if rapid.Bool().Draw(t, "any") {
				out = append(out, zWord(t, "any"))
			}
		default:
			if zRare(t, 16, "loneany") {
				out = append(out, "ANY")
			}
		}
	}
	return out
}

// geoFrom returns GEOSEARCH's FROMMEMBER or FROMLONLAT part.
func geoFrom(t *rapid.T) []string {
	if rapid.Bool().Draw(t, "frommember") {
		return []string{zWord(t, "frommember"), geoMember(t)}
	}
	lon, lat := geoPos(t)
	return []string{zWord(t, "fromlonlat"), lon, lat}
}

// geoBy returns GEOSEARCH's BYRADIUS or BYBOX part.
func geoBy(t *rapid.T) []string {
	if rapid.Bool().Draw(t, "byradius") {
		return []string{zWord(t, "byradius"), geoRadius(t), geoUnit(t)}
	}
	return []string{zWord(t, "bybox"), geoRadius(t), geoRadius(t), geoUnit(t)}
}

func geoCmd() *rapid.Generator[Cmd] {
	return rapid.Custom(func(t *rapid.T) Cmd {
		key := geoKey(t)
		switch rapid.IntRange(0, 22).Draw(t, "kind") {
		case 0, 1, 2, 3, 4, 5:
			args := []string{zWord(t, "geoadd"), key}
			if zRare(t, 4, "geoaddopts") {
				args = append(args, zWord(t, rapid.SampledFrom([]string{"nx", "xx", "ch"}).Draw(t, "opt")))
			}
			for i := rapid.IntRange(1, 4).Draw(t, "npos"); i > 0; i-- {
				lon, lat := geoPos(t)
				args = append(args, lon, lat, geoMember(t))
			}
			if zRare(t, 31, "short") {
				args = args[:len(args)-1]
			}
			return C(args...)
		case 6:
			args := []string{"GEOPOS", key}
			for i := rapid.IntRange(0, 3).Draw(t, "nmembers"); i > 0; i-- {
				args = append(args, geoMember(t))
			}
			return C(args...)
		case 7:
			args := []string{"GEOHASH", key}
			for i := rapid.IntRange(0, 3).Draw(t, "nmembers"); i > 0; i-- {
				args = append(args, geoMember(t))
			}
			return C(args...)
		case 8, 9:
			args := []string{"GEODIST", key, geoMember(t), geoMember(t)}
			switch rapid.IntRange(0, 5).Draw(t, "distunit") {
			case 0:
			case 5:
				args = append(args, "km", "x")
			default:
				args = append(args, geoUnit(t))
			}
			return C(args...)
		case 10, 11, 12, 13:
			store := zRare(t, 4, "store")
			args := []string{"GEOSEARCH", key}
			if store {
				args = []string{"GEOSEARCHSTORE", "{g1}d", key}
			}
			parts := [][]string{geoBy(t)}
			if !zRare(t, 21, "nofrom") {
				parts = append(parts, geoFrom(t))
			}
			if zRare(t, 21, "twofrom") {
				parts = append(parts, geoFrom(t))
			}
			if zRare(t, 21, "twoby") {
				parts = append(parts, geoBy(t))
			}
			if store && rapid.Bool().Draw(t, "storedist") {
				parts = append(parts, []string{zWord(t, "storedist")})
			}
			parts = append(parts, geoOpts(t, store))
			for _, part := range rapid.Permutation(parts).Draw(t, "order") {
				args = append(args, part...)
			}
			if zRare(t, 31, "junk") {
				args = append(args, "STORE", "x")
			}
			return C(args...)
		case 14, 15, 16:
			name := rapid.SampledFrom([]string{"GEORADIUS", "GEORADIUS_RO"}).Draw(t, "radiuscmd")
			lon, lat := geoPos(t)
			args := []string{name, key, lon, lat, geoRadius(t), geoUnit(t)}
			store := zRare(t, 4, "store") &&
				(name == "GEORADIUS" || zRare(t, 10, "rostore"))
			args = append(args, geoOpts(t, store)...)
			if store {
				args = append(args, zWord(t, rapid.SampledFrom([]string{"store", "storedist"}).Draw(t, "storeopt")), "{g1}d")
			}
			return C(args...)
		case 17, 18:
			name := rapid.SampledFrom([]string{"GEORADIUSBYMEMBER", "GEORADIUSBYMEMBER_RO"}).Draw(t, "radiuscmd")
			args := []string{name, key, geoMember(t), geoRadius(t), geoUnit(t)}
			store := zRare(t, 4, "store") &&
				(name == "GEORADIUSBYMEMBER" || zRare(t, 10, "rostore"))
			args = append(args, geoOpts(t, store)...)
			if store {
				args = append(args, zWord(t, rapid.SampledFrom([]string{"store", "storedist"}).Draw(t, "storeopt")), "{g1}d")
			}
			return C(args...)
		case 19:
			// Scores that are no geohash still decode.
			return C("ZADD", key, rapid.SampledFrom([]string{
				"-5", "-1.5", "1e20", "4503599627370496", "4503599627370495", "0", "0.5", "inf", "-inf",
				"13510798882111488", "9007199254740993", "-9223372036854775808", "1e300",
			}).Draw(t, "score"), geoMember(t))
		case 20:
			return C("ZREM", key, geoMember(t))
		case 21:
			return C(rapid.SampledFrom([]string{"DEL", "TYPE"}).Draw(t, "generic"), key)
		}
		if rapid.Bool().Draw(t, "setstr") {
			return C("SET", "str", "v")
		}
		return C(rapid.SampledFrom([]string{
			"GEOADD", "GEOPOS", "GEODIST", "GEOHASH", "GEOSEARCH", "GEOSEARCHSTORE", "GEORADIUS",
			"GEORADIUS_RO", "GEORADIUSBYMEMBER", "GEORADIUSBYMEMBER_RO",
		}).Draw(t, "cmdname"), key)
	})
}
