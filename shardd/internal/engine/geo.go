package engine

// geoCommands are the geo commands (sorted sets of geohashes).
func geoCommands() map[string]handler {
	return map[string]handler{}
}
