// Package config is the shard daemon's configuration, compatible with
// redis.conf and with Redis 7.0's CONFIG GET, CONFIG SET and CONFIG
// REWRITE.
//
// # Directives
//
// The package knows every directive of Redis 7.0 (exactly the names that
// CONFIG GET * lists on redis-server 7.0.15, aliases such as slaveof and
// slave-read-only included, plus the hidden ones that only match by exact
// name), with Redis's defaults, bounds, value syntax, normalization and
// error texts. Directives, Lookup and Directive describe them. Two more
// directives belong to Shardis:
//
//	cluster-secret  the internal secret that guards SHARDIS.* commands ("" = none)
//	metrics-addr    host:port of the optional HTTP server for Prometheus and pprof ("" = off)
//
// Both are immutable at run time; cluster-secret is sensitive.
//
// # Effective directives
//
// shardd acts on these directives (Directive.Effective):
//
//	port bind dir dbfilename requirepass maxclients timeout databases
//	proto-max-bulk-len client-query-buffer-limit appendonly appendfilename
//	appenddirname appendfsync auto-aof-rewrite-percentage
//	auto-aof-rewrite-min-size aof-load-truncated aof-use-rdb-preamble save
//	hz logfile loglevel pidfile notify-keyspace-events
//	client-output-buffer-limit cluster-secret metrics-addr
//
// Every other directive is accepted, validated, kept and reported back by
// CONFIG GET and CONFIG REWRITE exactly as Redis would, and has no effect.
// In particular maxmemory is only reported for now (no eviction),
// daemonize yes is accepted but shardd never forks (run it under a
// supervisor), and lua-time-limit has no effect (there is no scripting).
//
// # Startup
//
// Default gives the defaults. ParseArgs splits a redis-server command line
// into the config file path and --name value overrides; Load (or LoadFile,
// LoadString and LoadOverrides on a Config) applies them in that order,
// with Redis's rules: one directive per line, # comments, arguments split
// by SplitArgs, names case-insensitive, include (relative to dir, globs
// allowed), save lines adding up (save "" clears them), bind replacing.
// A bad line is a *FileError whose Report is redis-server's "FATAL CONFIG
// FILE ERROR" text. rename-command, user, loadmodule and module settings
// are kept as Extras for the server to act on or refuse. Validate checks
// constraints between directives before the server starts.
//
// One default differs from redis-server's compiled-in one: bind defaults to
// "127.0.0.1 -::1" (what Redis's shipped redis.conf sets), so that a shardd
// started without a config file is reachable only from this machine.
//
// Redis 7.0's quirks are kept on purpose, so that a redis.conf means the
// same thing to shardd: hz is clamped to 1..500; a line with a trailing
// "# comment" is an error; and once an included file has been read, each
// later save line (command-line overrides included) replaces the save
// points instead of adding to them.
//
// Unlike redis-server, the package never changes the process's working
// directory: dir is kept as an absolute path, and shardd resolves
// dbfilename and appenddirname against it. Reading the configuration from
// stdin ("-") is not supported, and include nesting is limited to 32
// levels.
//
// # Runtime
//
// A *Config is safe for concurrent use. Get is CONFIG GET (patterns are
// matched by Match, which KEYS and SCAN reuse). Set is CONFIG SET: every
// pair is checked before anything changes, immutable and (unless
// enable-protected-configs allows it, see SetLocal) protected directives
// are refused, and the error is Redis's reply text. Components register
// OnChange hooks to apply a runtime change; a failing hook makes Set
// restore all the old values. Int, Bytes, Bool and String read one value;
// SaveParams, BindAddrs and OutputBufferLimit read the structured ones.
//
// Rewrite is CONFIG REWRITE. It keeps the comments and the lines it does
// not handle (include, rename-command, ...) verbatim, where Redis would
// comment out the ones it does not know, and it writes
// client-output-buffer-limit lines only for classes that differ from the
// default.
//
// # Concurrency
//
// Readers (Get and the accessors) take a read lock and never wait for
// hooks. Writers (Set, SetLocal, the Load methods, Rewrite) are
// serialized; Set runs the hooks after publishing the new values, so a
// hook sees them, and readers may briefly see values that a failing hook
// then rolls back. A hook must not call Set or Rewrite.
package config
