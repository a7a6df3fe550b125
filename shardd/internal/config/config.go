package config

import (
	"errors"
	"fmt"
	"math"
	"net"
	"os"
	"slices"
	"strings"
	"sync"
)

// Pair is a directive name and its value, as in CONFIG GET and CONFIG SET.
type Pair struct {
	Name, Value string
}

// Kinds of CONFIG SET failure, for errors.Is on a *SetError.
var (
	ErrUnknownOption = errors.New("config: unknown option")
	ErrImmutable     = errors.New("config: immutable directive")
	ErrProtected     = errors.New("config: protected directive")
	ErrDuplicate     = errors.New("config: duplicate parameter")
	ErrInvalidValue  = errors.New("config: invalid value")
	ErrApply         = errors.New("config: change could not be applied")
)

// ErrNoConfigFile is returned by Rewrite without a path, like Redis's
// CONFIG REWRITE on a server started without a config file.
var ErrNoConfigFile = errors.New("ERR The server is running without a config file")

// SetError is a failed CONFIG SET. Its Error text is Redis's reply, ERR
// prefix included, ready to be sent as a RESP error.
type SetError struct {
	Arg    string // the directive the error is about
	Reason string // "" for unknown options
	kind   error
	cause  error // the hook's error (and rollback errors) for ErrApply
}

func (e *SetError) Error() string {
	if e.kind == ErrUnknownOption {
		return fmt.Sprintf("ERR Unknown option or number of arguments for CONFIG SET - '%s'", e.Arg)
	}
	return fmt.Sprintf("ERR CONFIG SET failed (possibly related to argument '%s') - %s", e.Arg, e.Reason)
}

// Unwrap returns the kind (ErrUnknownOption, ErrImmutable, ...) and, for
// ErrApply, the hook's error.
func (e *SetError) Unwrap() []error {
	if e.cause != nil {
		return []error{e.kind, e.cause}
	}
	return []error{e.kind}
}

// Config is the live configuration of a shard daemon: every directive's
// current value. It is safe for concurrent use.
type Config struct {
	// setMu serializes writers (Set, the Load methods, Rewrite) and is
	// held while change hooks run. Lock order: setMu, then mu.
	setMu sync.Mutex
	// saveLoaded records that a save directive was read at startup, so
	// that later save lines add to it instead of replacing the defaults.
	// includeDone records that an include finished in the file being
	// loaded: like Redis 7.0, later save lines then replace the list.
	// Both are guarded by setMu.
	saveLoaded  bool
	includeDone bool

	// mu guards the fields below.
	mu     sync.RWMutex
	vals   []value // indexed like table
	hooks  map[int][]func(string) error
	extras []Extra
	file   string
}

// Default returns a configuration holding Redis 7.0's defaults; dir is the
// process's working directory.
func Default() *Config {
	cwd, err := os.Getwd()
	if err != nil {
		cwd = "."
	}
	c := &Config{vals: make([]value, len(table)), hooks: map[int][]func(string) error{}}
	for i, d := range table {
		c.vals[i] = defaultValue(d, cwd)
	}
	return c
}

// File returns the absolute path of the config file loaded by LoadFile or
// Load, or "".
func (c *Config) File() string {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.file
}

// Extras returns the rename-command, user, loadmodule and module
// directives read at startup, in order.
func (c *Config) Extras() []Extra {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return slices.Clone(c.extras)
}

// Get is CONFIG GET: the directives matching any of the patterns, each
// once. A pattern without * ? or [ is an exact, case-insensitive name
// (hidden directives included) and is reported as given; a glob is
// matched case-insensitively against every name and alias.
func (c *Config) Get(patterns ...string) []Pair {
	c.mu.RLock()
	defer c.mu.RUnlock()
	var out []Pair
	seen := map[string]bool{}
	for _, p := range patterns {
		if !strings.ContainsAny(p, "[*?") {
			key := asciiLower(p)
			idx, ok := byName[key]
			if !ok || seen[key] {
				continue
			}
			seen[key] = true
			out = append(out, Pair{p, c.vals[idx].s})
			continue
		}
		for _, e := range entries {
			if seen[e.name] || table[e.index].Hidden || !Match(p, e.name, true) {
				continue
			}
			seen[e.name] = true
			out = append(out, Pair{e.name, c.vals[e.index].s})
		}
	}
	return out
}

// Set is CONFIG SET from a client that is not local. All pairs are checked
// first, then all are applied and the change hooks run; if a hook fails,
// every value is restored (hooks run again with the old values) and the
// error is reported. Errors are *SetError.
func (c *Config) Set(pairs ...Pair) error { return c.set(false, pairs) }

// SetLocal is Set for a client on a loopback address or a unix socket,
// which may change protected directives when enable-protected-configs is
// "local".
func (c *Config) SetLocal(pairs ...Pair) error { return c.set(true, pairs) }

func (c *Config) set(local bool, pairs []Pair) error {
	c.setMu.Lock()
	defer c.setMu.Unlock()

	c.mu.RLock()
	old := c.vals
	hooks := make(map[int][]func(string) error, len(c.hooks))
	for k, v := range c.hooks {
		hooks[k] = v
	}
	c.mu.RUnlock()

	// Check the names. As in Redis, the first problem is reported.
	protected := old[byName["enable-protected-configs"]].s
	allowProtected := protected == "yes" || (protected == "local" && local)
	type item struct {
		idx      int
		arg, val string
	}
	var items []item
	var first error
	seen := map[string]bool{}
	for _, p := range pairs {
		key := asciiLower(p.Name)
		idx, ok := byName[key]
		switch {
		case !ok:
			if first == nil {
				first = &SetError{Arg: p.Name, kind: ErrUnknownOption}
			}
			continue
		case first != nil:
			continue
		case table[idx].Immutable:
			first = &SetError{Arg: p.Name, Reason: "can't set immutable config", kind: ErrImmutable}
		case table[idx].Protected && !allowProtected:
			first = &SetError{Arg: p.Name, Reason: "can't set protected config", kind: ErrProtected}
		case seen[key]:
			first = &SetError{Arg: p.Name, Reason: "duplicate parameter", kind: ErrDuplicate}
		}
		seen[key] = true
		items = append(items, item{idx, key, p.Value})
	}
	if first != nil {
		return first
	}

	// Parse the values, in order, into a copy.
	next := slices.Clone(old)
	st := &setState{vals: next}
	var order []int // changed directives, in order of first appearance
	for _, it := range items {
		d := table[it.idx]
		args := []string{it.val}
		if d.MultiArg {
			args = splitSpaces(it.val)
		}
		v, err := parseArgs(st, d, next[it.idx], args)
		if err != nil {
			return &SetError{Arg: it.arg, Reason: err.Error(), kind: ErrInvalidValue}
		}
		next[it.idx] = v
		if !slices.Contains(order, it.idx) {
			order = append(order, it.idx)
		}
	}
	order = slices.DeleteFunc(order, func(i int) bool { return next[i].equal(old[i]) })
	if len(order) == 0 {
		return nil
	}

	c.mu.Lock()
	c.vals = next
	c.mu.Unlock()
	for n, idx := range order {
		for _, h := range hooks[idx] {
			if err := h(next[idx].s); err != nil {
				return c.rollback(old, order[:n+1], hooks, &SetError{
					Arg: table[idx].Name, Reason: err.Error(), kind: ErrApply, cause: err,
				})
			}
		}
	}
	return nil
}

// rollback restores old values after a failed hook and runs the hooks of
// the directives already applied again, with their old values.
func (c *Config) rollback(old []value, applied []int, hooks map[int][]func(string) error, e *SetError) error {
	c.mu.Lock()
	c.vals = old
	c.mu.Unlock()
	errs := []error{e.cause}
	for _, idx := range applied {
		for _, h := range hooks[idx] {
			if err := h(old[idx].s); err != nil {
				errs = append(errs, fmt.Errorf("config: restoring %s: %w", table[idx].Name, err))
			}
		}
	}
	e.cause = errors.Join(errs...)
	return e
}

// OnChange registers fn to apply a runtime change of the directive name
// (or one of its aliases). Set calls it, after the new values are in
// place, with the new value as CONFIG GET prints it, only when the value
// changed. An error makes Set restore every value, call the hooks again
// with the old values, and report the error to the client. Hooks may read
// the Config but must not call Set. Values read at startup (Load...) do
// not call hooks. OnChange panics if name is not a directive.
func (c *Config) OnChange(name string, fn func(value string) error) {
	idx := c.mustIndex(name)
	c.mu.Lock()
	defer c.mu.Unlock()
	c.hooks[idx] = append(c.hooks[idx], fn)
}

func (c *Config) mustIndex(name string) int {
	idx, ok := lookup(name)
	if !ok {
		panic(fmt.Sprintf("config: unknown directive %q", name))
	}
	return idx
}

func (c *Config) value(name string) (*Directive, value) {
	idx := c.mustIndex(name)
	c.mu.RLock()
	defer c.mu.RUnlock()
	return table[idx], c.vals[idx]
}

// String returns a directive's value as CONFIG GET prints it. It panics
// if name is not a directive (a programming error).
func (c *Config) String(name string) string {
	_, v := c.value(name)
	return v.s
}

// Int returns the value of a numeric, yes/no or enum directive: the
// number, 1 for yes, the enum value (flags for a multi-value enum). A percentage
// (maxmemory-clients 10%) is negative (-10), as in Redis; unsigned values
// above the int64 range read as math.MaxInt64. It panics if name is not
// such a directive.
func (c *Config) Int(name string) int64 {
	d, v := c.value(name)
	switch d.Kind {
	case KindInt, KindMemory, KindOctal, KindBool, KindEnum:
	default:
		panic(fmt.Sprintf("config: directive %q is not numeric", d.Name))
	}
	if d.unsigned && d.Max > math.MaxInt64 && v.n < 0 {
		return math.MaxInt64
	}
	return v.n
}

// Bytes returns a memory directive's value in bytes (1gb is 1073741824),
// saturated at math.MaxInt64; a percentage is negative as for Int. It
// panics if name is not a numeric directive.
func (c *Config) Bytes(name string) int64 {
	return c.Int(name)
}

// Bool returns a yes/no directive's value. It panics if name is not one.
func (c *Config) Bool(name string) bool {
	d, v := c.value(name)
	if d.Kind != KindBool {
		panic(fmt.Sprintf("config: directive %q is not yes/no", d.Name))
	}
	return v.n != 0
}

// SaveParam is one save point: snapshot after Seconds if at least Changes
// writes happened.
type SaveParam struct {
	Seconds int64
	Changes int64
}

// SaveParams returns the save points, none when saving is off.
func (c *Config) SaveParams() []SaveParam {
	_, v := c.value("save")
	ps := parseSavePoints(v.s)
	out := make([]SaveParam, len(ps))
	for i, p := range ps {
		out[i] = SaveParam{p.seconds, int64(p.changes)}
	}
	return out
}

// BindAddrs returns the bind addresses (none means: listen on nothing but
// the unix socket). "*" is every IPv4 address, "::*" every IPv6 one, and a
// leading "-" marks an address that may be unavailable.
func (c *Config) BindAddrs() []string {
	_, v := c.value("bind")
	return slices.Clone(v.list)
}

// OutputBufferLimit returns client-output-buffer-limit for a client class:
// normal, replica (or slave) or pubsub. ok is false for other classes.
func (c *Config) OutputBufferLimit(class string) (l BufferLimit, ok bool) {
	i := obufClass(class)
	if i < 0 {
		return BufferLimit{}, false
	}
	_, v := c.value("client-output-buffer-limit")
	return parseBufferLimits(v.s)[i], true
}

// Validate checks what single directives cannot: ranges shardd relies on
// and constraints between directives. Call it after loading, before
// starting the server.
func (c *Config) Validate() error {
	c.mu.RLock()
	defer c.mu.RUnlock()
	get := func(name string) value { return c.vals[byName[name]] }
	var errs []error
	bad := func(format string, a ...any) { errs = append(errs, fmt.Errorf("config: "+format, a...)) }
	if p := get("port").n; p < 0 || p > 65535 {
		bad("port %d is out of range 0..65535", p)
	}
	if n := get("databases").n; n < 1 {
		bad("databases must be at least 1, not %d", n)
	}
	if n := get("maxclients").n; n < 1 {
		bad("maxclients must be at least 1, not %d", n)
	}
	if hz := get("hz").n; hz < 1 || hz > 500 {
		bad("hz %d is out of range 1..500", hz)
	}
	if get("dir").s == "" {
		bad("dir is empty")
	}
	for _, name := range []string{"appendfilename", "appenddirname"} {
		if v := get(name).s; v == "" || !isBaseName(v) {
			bad("%s must be a file name, not %q", name, v)
		}
	}
	if v := get("dbfilename").s; !isBaseName(v) {
		bad("dbfilename must be a file name, not %q", v)
	}
	if get("cluster-enabled").n != 0 && get("replicaof").s != "" {
		bad("replicaof directive not allowed in cluster mode")
	}
	if a := get("metrics-addr").s; a != "" {
		if _, _, err := net.SplitHostPort(a); err != nil {
			bad("metrics-addr %q: %w", a, err)
		}
	}
	return errors.Join(errs...)
}
