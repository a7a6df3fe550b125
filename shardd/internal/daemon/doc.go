// Package daemon assembles a running shardd from its configuration: the
// engine, the network server and the background jobs. cmd/shardd is a thin
// main around it, and tests start daemons in-process with it on free ports.
package daemon
