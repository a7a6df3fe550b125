package engine

// serverCommands are the server and introspection commands.
func serverCommands() map[string]handler {
	return map[string]handler{}
}
