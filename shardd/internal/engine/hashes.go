package engine

// hashCommands are the hash commands.
func hashCommands() map[string]handler {
	return map[string]handler{}
}
