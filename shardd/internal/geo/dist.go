package geo

import "math"

// EarthRadius is the radius Redis uses for distances, in meters.
const EarthRadius = 6372797.560856

// degToRad is C's M_PI / 180.0 (a double division, not the exact ratio).
var degToRad = piDouble / 180.0

var piDouble = 3.141592653589793

func degRad(a float64) float64 { return a * degToRad }
func radDeg(a float64) float64 { return a / degToRad }

// latDistance is the distance in meters between two latitudes on one
// meridian.
func latDistance(lat1, lat2 float64) float64 {
	d := degRad(lat2) - degRad(lat1)
	if d < 0 {
		d = -d
	}
	return EarthRadius * d
}

// Distance is the haversine great-circle distance in meters between two
// positions, computed exactly as Redis does.
func Distance(lon1, lat1, lon2, lat2 float64) float64 {
	return distance(lon1, lat1, lon2, lat2, math.NaN())
}

// distance is Distance given cos1, the cosine of lat1 in radians, when
// known (NaN when not): a search computes its centre's once.
func distance(lon1, lat1, lon2, lat2, cos1 float64) float64 {
	lon1r := degRad(lon1)
	lon2r := degRad(lon2)
	v := sin((lon2r - lon1r) / 2)
	if v == 0 {
		return latDistance(lat1, lat2)
	}
	lat1r := degRad(lat1)
	lat2r := degRad(lat2)
	u := sin((lat2r - lat1r) / 2)
	cos2 := cos(lat2r)
	switch {
	case lat1r == lat2r:
		cos1 = cos2
	case cos1 != cos1:
		cos1 = cos(lat1r)
	}
	a := float64(u*u) + float64(float64(float64(cos1*cos2)*v)*v)
	return 2.0 * EarthRadius * asin(sqrt(a))
}
