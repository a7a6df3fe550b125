package engine_test

import "testing"

// The geo tests run scripted steps like the sorted set tests; the
// expected values are redis-server 7.0's.

func TestGeoAddPosDistHash(t *testing.T) {
	c := ksClient(t, 2)
	ksRun(t, c, []ksStep{
		ks(int64(2), "GEOADD", "g", "13.361389", "38.115556", "Palermo", "15.087269", "37.502669", "Catania"),
		ks("3479099956230698", "ZSCORE", "g", "Palermo"),
		ks("zset", "TYPE", "g"),
		ks([]any{[]any{"13.36138933897018433", "38.11555639549629859"}, nil}, "GEOPOS", "g", "Palermo", "nope"),
		ks([]any{}, "GEOPOS", "g"),
		ks([]any{nil}, "GEOPOS", "nokey", "a"),
		ks([]any{"sqc8b49rny0", "sqdtr74hyu0", nil}, "GEOHASH", "g", "Palermo", "Catania", "nope"),
		ks("166274.1516", "GEODIST", "g", "Palermo", "Catania"),
		ks("166.2742", "GEODIST", "g", "Palermo", "Catania", "km"),
		ks("166.2742", "GEODIST", "g", "Palermo", "Catania", "KM"),
		ks("103.3182", "GEODIST", "g", "Palermo", "Catania", "mi"),
		ks("545518.8700", "GEODIST", "g", "Palermo", "Catania", "ft"),
		ks("0.0000", "GEODIST", "g", "Palermo", "Palermo"),
		ks(ksNil, "GEODIST", "g", "Palermo", "nope"),
		ks(ksNil, "GEODIST", "nokey", "a", "b"),
		ks(ksErr("ERR unsupported unit provided. please use M, KM, FT, MI"), "GEODIST", "g", "Palermo", "Catania", "yd"),
		ks(ksSyntax, "GEODIST", "g", "Palermo", "Catania", "km", "x"),
		ks(int64(0), "GEOADD", "g", "NX", "1", "1", "Palermo"),
		ks(int64(0), "GEOADD", "g", "XX", "1", "1", "nope"),
		ks(int64(1), "GEOADD", "g", "XX", "CH", "1", "1", "Palermo"),
		ks([]any{[]any{"0.99999994039535522", "0.99999945914297683"}}, "GEOPOS", "g", "Palermo"),
		ks(int64(2), "GEOADD", "g", "180", "85.05112878", "corner", "-180", "-85.05112878", "corner2"),
		ks([]any{[]any{"180", "85.0511287799999991"}, []any{"-179.99999731779098511", "-85.05112751263942528"}}, "GEOPOS", "g", "corner", "corner2"),
		ks(ksErr("ERR invalid longitude,latitude pair 181.000000,1.000000"), "GEOADD", "g", "181", "1", "x"),
		ks(ksErr("ERR invalid longitude,latitude pair 1.000000,85.060000"), "GEOADD", "g", "1", "85.06", "x"),
		ks(ksErr("ERR invalid longitude,latitude pair inf,1.000000"), "GEOADD", "g", "inf", "1", "x"),
		ks(ksNotFloat, "GEOADD", "g", "x", "1", "x"),
		ks(ksSyntax, "GEOADD", "g", "NX", "XX", "1", "1", "x"),
		ks(ksSyntax, "GEOADD", "g", "1", "1", "x", "2"),
		ks(ksSyntax, "GEOADD", "g", "GT", "1", "1", "x"),
		ks(ksArity("geoadd"), "GEOADD", "g", "1", "1"),
		ks("OK", "SET", "str", "v"),
		ks(ksWrongType, "GEOADD", "str", "1", "1", "x"),
		ks(ksWrongType, "GEOPOS", "str", "x"),
		ks(ksWrongType, "GEODIST", "str", "x", "y"),
		ks(ksWrongType, "GEOHASH", "str", "x"),
	})
}

func TestGeoSearch(t *testing.T) {
	c := ksClient(t, 2)
	ksRun(t, c, []ksStep{
		ks(int64(4), "GEOADD", "{g}", "13.361389", "38.115556", "Palermo", "15.087269", "37.502669", "Catania",
			"12.758489", "38.788135", "edge1", "17.241510", "38.788135", "edge2"),
		ks([]any{[]any{"Catania", "56.4413", int64(3479447370796909), []any{"15.08726745843887329", "37.50266842333162032"}},
			[]any{"Palermo", "190.4424", int64(3479099956230698), []any{"13.36138933897018433", "38.11555639549629859"}}},
			"GEORADIUS", "{g}", "15", "37", "200", "km", "WITHDIST", "WITHHASH", "WITHCOORD", "ASC"),
		ks([]any{"Palermo", "Catania"}, "GEORADIUS", "{g}", "15", "37", "200", "km", "DESC"),
		ks([]any{"Catania"}, "GEORADIUS", "{g}", "15", "37", "200", "km", "COUNT", "1"),
		ks([]any{"edge1", "edge2", "Palermo", "Catania"}, "GEORADIUS", "{g}", "15", "37", "400", "km", "DESC"),
		ks([]any{[]any{"Palermo", "0.0000"}, []any{"edge1", "91.4007"}}, "GEORADIUSBYMEMBER", "{g}", "Palermo", "100", "km", "WITHDIST", "ASC"),
		ks([]any{"Catania", "Palermo"}, "GEOSEARCH", "{g}", "FROMLONLAT", "15", "37", "BYRADIUS", "200", "km", "ASC"),
		ks([]any{"Catania", "Palermo", "edge2", "edge1"}, "GEOSEARCH", "{g}", "FROMLONLAT", "15", "37", "BYBOX", "400", "400", "km", "ASC"),
		ks([]any{"Palermo", "edge1"}, "GEOSEARCH", "{g}", "FROMMEMBER", "Palermo", "BYBOX", "200", "200", "km", "ASC"),
		ks(int64(2), "GEOSEARCHSTORE", "{g}dst", "{g}", "FROMLONLAT", "15", "37", "BYRADIUS", "200", "km", "STOREDIST"),
		ks([]any{"Catania", "56.441257870158204", "Palermo", "190.44242984775784"}, "ZRANGE", "{g}dst", "0", "-1", "WITHSCORES"),
		ks(int64(1), "GEORADIUS", "{g}", "15", "37", "100", "km", "STORE", "{g}dst"),
		ks([]any{"Catania", "3479447370796909"}, "ZRANGE", "{g}dst", "0", "-1", "WITHSCORES"),
		ks(int64(0), "GEORADIUS", "{g}", "0", "0", "1", "km", "STORE", "{g}dst"),
		ks(int64(0), "EXISTS", "{g}dst"),
		ks([]any{}, "GEORADIUS", "{g}none", "15", "37", "200", "km"),
		ks([]any{}, "GEORADIUSBYMEMBER", "{g}none", "x", "-1", "km"), // no source: the radius is not parsed
		ks(int64(0), "GEOSEARCHSTORE", "{g}dst", "{g}none", "FROMMEMBER", "x", "BYRADIUS", "1", "km"),
		ks(ksErr("ERR radius cannot be negative"), "GEORADIUS", "{g}", "15", "37", "-1", "km"),
		ks(ksErr("ERR need numeric radius"), "GEORADIUS", "{g}", "15", "37", "x", "km"),
		ks(ksErr("ERR unsupported unit provided. please use M, KM, FT, MI"), "GEORADIUS", "{g}", "15", "37", "1", "yd"),
		ks(ksErr("ERR COUNT must be > 0"), "GEORADIUS", "{g}", "15", "37", "1", "km", "COUNT", "0"),
		ks(ksNotInt, "GEORADIUS", "{g}", "15", "37", "1", "km", "COUNT", "x"),
		ks(ksErr("ERR the ANY argument requires COUNT argument"), "GEORADIUS", "{g}", "15", "37", "1", "km", "ANY"),
		ks(ksErr("ERR STORE option in GEORADIUS is not compatible with WITHDIST, WITHHASH and WITHCOORD options"), "GEORADIUS", "{g}", "15", "37", "1", "km", "STORE", "{g}dst", "WITHDIST"),
		ks(ksSyntax, "GEORADIUS_RO", "{g}", "15", "37", "1", "km", "STORE", "{g}dst"),
		ks(ksErr("ERR could not decode requested zset member"), "GEORADIUSBYMEMBER", "{g}", "nope", "1", "km"),
		ks(ksErr("ERR could not decode requested zset member"), "GEOSEARCH", "{g}", "FROMMEMBER", "nope", "BYRADIUS", "1", "km"),
		ks(ksErr("ERR exactly one of FROMMEMBER or FROMLONLAT can be specified for geosearch"), "geosearch", "{g}", "BYRADIUS", "1", "km", "ASC", "WITHDIST"),
		ks(ksErr("ERR exactly one of BYRADIUS and BYBOX can be specified for GEOSEARCH"), "GEOSEARCH", "{g}", "FROMLONLAT", "1", "1", "ASC", "WITHDIST"),
		ks(ksSyntax, "GEOSEARCH", "{g}", "FROMLONLAT", "1", "1", "FROMMEMBER", "Palermo", "BYRADIUS", "1", "km"),
		ks(ksSyntax, "GEOSEARCH", "{g}", "FROMLONLAT", "1", "1", "BYRADIUS", "1", "km", "BYBOX", "1", "1", "km"),
		ks(ksSyntax, "GEOSEARCH", "{g}", "FROMLONLAT", "1", "1", "BYRADIUS", "1", "km", "STORE", "x"),
		ks(ksErr("ERR height or width cannot be negative"), "GEOSEARCH", "{g}", "FROMLONLAT", "1", "1", "BYBOX", "-1", "1", "km"),
		ks(ksErr("ERR need numeric width"), "GEOSEARCH", "{g}", "FROMLONLAT", "1", "1", "BYBOX", "x", "1", "km"),
		ks(ksErr("ERR need numeric height"), "GEOSEARCH", "{g}", "FROMLONLAT", "1", "1", "BYBOX", "1", "x", "km"),
		ks(ksErr("ERR GEOSEARCHSTORE is not compatible with WITHDIST, WITHHASH and WITHCOORD options"), "GEOSEARCHSTORE", "{g}dst", "{g}", "FROMLONLAT", "1", "1", "BYRADIUS", "1", "km", "WITHHASH"),
		ks(ksErr("ERR invalid longitude,latitude pair 200.000000,1.000000"), "GEOSEARCH", "{g}", "FROMLONLAT", "200", "1", "BYRADIUS", "1", "km"),
		ks(ksArity("geosearch"), "GEOSEARCH", "{g}", "FROMLONLAT", "1", "1"),
		ks(ksArity("georadius"), "GEORADIUS", "{g}", "1", "1", "1"),
		ks("OK", "SET", "{g}str", "v"),
		ks(ksWrongType, "GEORADIUS", "{g}str", "1", "1", "1", "km"),
		ks(ksWrongType, "GEOSEARCH", "{g}str", "FROMLONLAT", "1", "1", "BYRADIUS", "1", "km"),
	})
}

// TestGeoSearchRESP3 checks coordinates as RESP3 doubles.
func TestGeoSearchRESP3(t *testing.T) {
	c := ksClient(t, 3)
	ksRun(t, c, []ksStep{
		ks(int64(1), "GEOADD", "g", "13.361389", "38.115556", "Palermo"),
		ks([]any{[]any{13.361389338970184, 38.1155563954963}, nil}, "GEOPOS", "g", "Palermo", "x"),
		ks([]any{[]any{"Palermo", "0.0000", []any{13.361389338970184, 38.1155563954963}}},
			"GEOSEARCH", "g", "FROMMEMBER", "Palermo", "BYRADIUS", "1", "m", "WITHDIST", "WITHCOORD"),
	})
}
