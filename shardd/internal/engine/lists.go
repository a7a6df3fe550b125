package engine

// listCommands are the list commands.
func listCommands() map[string]handler {
	return map[string]handler{}
}
