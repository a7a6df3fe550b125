// Package geo is the arithmetic behind shardd's geo commands, reproducing
// redis-server 7.0 bit for bit so that the same inputs give the same
// members, distances, coordinates and hashes.
//
// Positions are stored as sorted-set scores: a 52-bit geohash that
// interleaves 26 bits of longitude (odd bits) with 26 bits of latitude
// (even bits), over longitudes [-180, 180] and latitudes
// [-85.05112878, 85.05112878] (the Web Mercator limits). A search does
// what Redis does: it estimates a geohash precision from the radius,
// takes the box holding the centre plus its eight neighbours (dropping
// the ones the search area cannot reach), scans each box's score range
// in that order and keeps the members whose exact haversine distance
// (Earth radius 6372797.560856 m) puts them inside the circle or box.
// The order matters: unsorted replies and COUNT ANY come out in box
// order, and sorted replies use Redis's own sorts (a stable merge sort
// for full sorts, as glibc's qsort is, and Redis's partial quicksort when
// only the first COUNT results are needed), so ties come out alike.
//
// Redis computes distances with glibc's sin, cos and asin. Go's math
// package differs from them in the last bit far more often than glibc
// misses the correctly rounded result, so this package evaluates them in
// double-double arithmetic and rounds once (ddmath.go): the results are
// glibc's in all but rare cases, where a distance can differ from Redis's
// by one unit in the last place (visible only in STOREDIST scores, or in
// a four-decimal distance once in a million).
//
// Everything here is pure computation and safe for concurrent use,
// except that a Shape caches a value: use each Shape from one goroutine.
package geo
