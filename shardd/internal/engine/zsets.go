package engine

// zsetCommands are the sorted set commands.
func zsetCommands() map[string]handler {
	return map[string]handler{}
}
