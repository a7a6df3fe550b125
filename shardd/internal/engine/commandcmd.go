package engine

import (
	"strconv"
	"strings"

	"github.com/shardis/shardis/pkg/command"
	"github.com/shardis/shardis/shardd/internal/config"
)

// COMMAND and its subcommands describe the commands shardd implements:
// the specs of pkg/command that have a handler (and the containers with at
// least one such subcommand). The replies have Redis 7.0's shapes; the key
// specs, tips, summaries and versions, which the command table does not
// hold, come from commandMetas below.

// implemented reports whether COMMAND lists spec.
func (e *Engine) implemented(spec *command.Spec) bool {
	if spec == nil || spec.Flags&command.Internal != 0 {
		return false
	}
	if len(spec.Subcommands) == 0 {
		return e.handlers[spec] != nil
	}
	for _, sub := range spec.Subcommands {
		if e.handlers[sub] != nil {
			return true
		}
	}
	return false
}

// visible returns the top-level commands COMMAND lists, sorted by name.
func (e *Engine) visible() []*command.Spec {
	var out []*command.Spec
	for _, s := range command.All() {
		if e.implemented(s) {
			out = append(out, s)
		}
	}
	return out
}

// visibleSubs returns spec's implemented subcommands.
func (e *Engine) visibleSubs(spec *command.Spec) []*command.Spec {
	var out []*command.Spec
	for _, sub := range spec.Subcommands {
		if e.handlers[sub] != nil {
			out = append(out, sub)
		}
	}
	return out
}

// lookupVisible finds a command or "parent|sub" by name if COMMAND lists
// it.
func (e *Engine) lookupVisible(name []byte) *command.Spec {
	spec := command.LookupFullName(name)
	if !e.implemented(spec) {
		return nil
	}
	return spec
}

// cmdCommand is COMMAND without a subcommand: every command's info.
func cmdCommand(x *Ctx) {
	specs := x.e.visible()
	x.r.Array(len(specs))
	for _, s := range specs {
		x.e.writeCommandInfo(x.r, s)
	}
}

func cmdCommandCount(x *Ctx) { x.r.Int(int64(len(x.e.visible()))) }

// cmdCommandInfo is COMMAND INFO [name ...]: nil for unknown names.
func cmdCommandInfo(x *Ctx) {
	if len(x.args) == 2 {
		cmdCommand(x)
		return
	}
	x.r.Array(len(x.args) - 2)
	for _, name := range x.args[2:] {
		if s := x.e.lookupVisible(name); s != nil {
			x.e.writeCommandInfo(x.r, s)
		} else {
			x.r.Null()
		}
	}
}

// writeCommandInfo writes spec's 10-element COMMAND INFO entry.
func (e *Engine) writeCommandInfo(r *Reply, spec *command.Spec) {
	meta := metaOf(spec)
	r.Array(10)
	r.BulkString(spec.Name)
	r.Int(int64(spec.Arity))
	flags := spec.FlagNames()
	r.Set(len(flags))
	for _, f := range flags {
		r.Simple(f)
	}
	r.Int(int64(spec.FirstKey))
	r.Int(int64(spec.LastKey))
	r.Int(int64(spec.Step))
	r.Set(len(spec.ACL))
	for _, c := range spec.ACL {
		r.Simple("@" + c)
	}
	r.Set(len(meta.tips))
	for _, t := range meta.tips {
		r.BulkString(t)
	}
	r.Set(len(meta.keySpecs))
	for i := range meta.keySpecs {
		writeKeySpec(r, &meta.keySpecs[i])
	}
	if len(spec.Subcommands) == 0 {
		r.Set(0)
		return
	}
	subs := e.visibleSubs(spec)
	r.Array(len(subs))
	for _, sub := range subs {
		e.writeCommandInfo(r, sub)
	}
}

func writeKeySpec(r *Reply, ks *keySpec) {
	n := 3
	if ks.notes != "" {
		n++
	}
	r.Map(n)
	if ks.notes != "" {
		r.BulkString("notes")
		r.BulkString(ks.notes)
	}
	r.BulkString("flags")
	r.Set(len(ks.flags))
	for _, f := range ks.flags {
		r.Simple(f)
	}
	r.BulkString("begin_search")
	r.Map(2)
	r.BulkString("type")
	switch ks.begin {
	case beginIndex:
		r.BulkString("index")
		r.BulkString("spec")
		r.Map(1)
		r.BulkString("index")
		r.Int(int64(ks.index))
	case beginKeyword:
		r.BulkString("keyword")
		r.BulkString("spec")
		r.Map(2)
		r.BulkString("keyword")
		r.BulkString(ks.keyword)
		r.BulkString("startfrom")
		r.Int(int64(ks.startFrom))
	default:
		r.BulkString("unknown")
		r.BulkString("spec")
		r.Map(0)
	}
	r.BulkString("find_keys")
	r.Map(2)
	r.BulkString("type")
	switch ks.find {
	case findRange:
		r.BulkString("range")
		r.BulkString("spec")
		r.Map(3)
		r.BulkString("lastkey")
		r.Int(int64(ks.lastKey))
		r.BulkString("keystep")
		r.Int(int64(ks.keyStep))
		r.BulkString("limit")
		r.Int(int64(ks.limit))
	case findKeyNum:
		r.BulkString("keynum")
		r.BulkString("spec")
		r.Map(3)
		r.BulkString("keynumidx")
		r.Int(int64(ks.keyNumIdx))
		r.BulkString("firstkey")
		r.Int(int64(ks.firstKey))
		r.BulkString("keystep")
		r.Int(int64(ks.keyStep))
	default:
		r.BulkString("unknown")
		r.BulkString("spec")
		r.Map(0)
	}
}

// cmdCommandList is COMMAND LIST [FILTERBY MODULE name | ACLCAT category |
// PATTERN pattern]: command names, subcommands included.
func cmdCommandList(x *Ctx) {
	var match func(*command.Spec) bool
	switch {
	case len(x.args) == 2:
		match = func(*command.Spec) bool { return true }
	case len(x.args) == 5 && equalFold(x.args[2], "filterby"):
		arg := string(x.args[4])
		switch {
		case equalFold(x.args[3], "module"):
			// No modules.
			match = func(*command.Spec) bool { return false }
		case equalFold(x.args[3], "aclcat"):
			match = func(s *command.Spec) bool {
				for _, c := range s.ACL {
					if strings.EqualFold(c, arg) {
						return true
					}
				}
				return false
			}
		case equalFold(x.args[3], "pattern"):
			match = func(s *command.Spec) bool { return config.Match(arg, s.Name, true) }
		}
	}
	if match == nil {
		x.r.Err(ErrSyntax)
		return
	}
	var names []string
	for _, s := range x.e.visible() {
		if match(s) {
			names = append(names, s.Name)
		}
		for _, sub := range x.e.visibleSubs(s) {
			if match(sub) {
				names = append(names, sub.Name)
			}
		}
	}
	x.r.StringArray(names)
}

// cmdCommandDocs is COMMAND DOCS [name ...]: a map from command name to
// its summary, version and group (and its subcommands' docs). Unknown
// names are left out.
func cmdCommandDocs(x *Ctx) {
	var specs []*command.Spec
	if len(x.args) == 2 {
		specs = x.e.visible()
	} else {
		for _, name := range x.args[2:] {
			if s := x.e.lookupVisible(name); s != nil {
				specs = append(specs, s)
			}
		}
	}
	x.r.Map(len(specs))
	for _, s := range specs {
		x.r.BulkString(s.Name)
		x.e.writeDocs(x.r, s)
	}
}

func (e *Engine) writeDocs(r *Reply, spec *command.Spec) {
	meta := metaOf(spec)
	subs := e.visibleSubs(spec)
	n := 3
	if len(meta.args) > 0 {
		n++
	}
	if len(subs) > 0 {
		n++
	}
	r.Map(n)
	r.BulkString("summary")
	r.BulkString(meta.summary)
	r.BulkString("since")
	r.BulkString(meta.since)
	r.BulkString("group")
	r.BulkString(spec.Group)
	if len(meta.args) > 0 {
		r.BulkString("arguments")
		writeDocArgs(r, meta.args)
	}
	if len(subs) > 0 {
		r.BulkString("subcommands")
		r.Map(len(subs))
		for _, sub := range subs {
			r.BulkString(sub.Name)
			e.writeDocs(r, sub)
		}
	}
}

// docArg is one argument in COMMAND DOCS, from which redis-cli builds its
// syntax hints.
type docArg struct {
	name, typ     string
	keySpec       int // index into the key specs for a key, else -1
	token         string
	since, deprec string
	flags         []string // optional, multiple, multiple_token
	args          []docArg // a block's or oneof's arguments
}

func writeDocArgs(r *Reply, args []docArg) {
	r.Array(len(args))
	for i := range args {
		a := &args[i]
		n := 2
		for _, present := range []bool{a.keySpec >= 0, a.token != "", a.since != "", a.deprec != "", len(a.flags) > 0, a.typ == "block" || a.typ == "oneof"} {
			if present {
				n++
			}
		}
		r.Map(n)
		r.BulkString("name")
		r.BulkString(a.name)
		r.BulkString("type")
		r.BulkString(a.typ)
		if a.keySpec >= 0 {
			r.BulkString("key_spec_index")
			r.Int(int64(a.keySpec))
		}
		if a.token != "" {
			r.BulkString("token")
			r.BulkString(a.token)
		}
		if a.since != "" {
			r.BulkString("since")
			r.BulkString(a.since)
		}
		if a.deprec != "" {
			r.BulkString("deprecated_since")
			r.BulkString(a.deprec)
		}
		if len(a.flags) > 0 {
			r.BulkString("flags")
			r.Set(len(a.flags))
			for _, f := range a.flags {
				r.Simple(f)
			}
		}
		if a.typ == "block" || a.typ == "oneof" {
			r.BulkString("arguments")
			writeDocArgs(r, a.args)
		}
	}
}

// parseArgs parses the compact argument lists of commandMetas: arguments
// separated by spaces, each
//
//	[?*+]name;type[;k=N][;t=TOKEN][;s=SINCE][;d=DEPRECATED][(arguments)]
//
// where ? is optional, * multiple and + multiple_token, k the key spec
// index, t the token, s and d the versions. It returns what follows the
// list (a ')' closing it, or "").
func parseArgs(s string) ([]docArg, string, error) {
	var out []docArg
	for s != "" && s[0] != ')' {
		if s[0] == ' ' {
			s = s[1:]
			continue
		}
		a := docArg{keySpec: -1}
		for ; s != "" && strings.IndexByte("?*+", s[0]) >= 0; s = s[1:] {
			a.flags = append(a.flags, map[byte]string{'?': "optional", '*': "multiple", '+': "multiple_token"}[s[0]])
		}
		end := strings.IndexAny(s, " ()")
		if end < 0 {
			end = len(s)
		}
		fields := strings.Split(s[:end], ";")
		s = s[end:]
		if len(fields) < 2 {
			return nil, s, simpleError("argument without a type")
		}
		a.name, a.typ = fields[0], fields[1]
		for _, f := range fields[2:] {
			k, v, _ := strings.Cut(f, "=")
			switch k {
			case "k":
				n, err := strconv.Atoi(v)
				if err != nil {
					return nil, s, err
				}
				a.keySpec = n
			case "t":
				a.token = v
			case "s":
				a.since = v
			case "d":
				a.deprec = v
			default:
				return nil, s, simpleError("unknown field " + strconv.Quote(f))
			}
		}
		if s != "" && s[0] == '(' {
			sub, rest, err := parseArgs(s[1:])
			if err != nil {
				return nil, rest, err
			}
			if rest == "" || rest[0] != ')' {
				return nil, rest, simpleError("unclosed (")
			}
			a.args, s = sub, rest[1:]
		}
		out = append(out, a)
	}
	return out, s, nil
}

// cmdCommandGetKeys is COMMAND GETKEYS command [arg ...].
func cmdCommandGetKeys(x *Ctx) {
	args := x.args[2:]
	spec := command.Lookup(args[0])
	if spec != nil && len(spec.Subcommands) > 0 && len(args) >= 2 {
		spec = spec.Sub(args[1])
	}
	if !x.e.implemented(spec) {
		x.r.Error("ERR Invalid command specified")
		return
	}
	meta := metaOf(spec)
	if !meta.hasKeys() {
		x.r.Error("ERR The command has no key arguments")
		return
	}
	if !spec.CheckArity(len(args)) {
		x.r.Error("ERR Invalid number of arguments specified for command")
		return
	}
	pos, ok := meta.keyPositions(spec, args)
	if !ok || len(pos) == 0 {
		if spec.Flags&command.NoMandatoryKeys != 0 {
			x.r.Array(0)
			return
		}
		x.r.Error("ERR Invalid arguments specified for command")
		return
	}
	x.r.Array(len(pos))
	for _, p := range pos {
		x.r.Bulk(args[p])
	}
}

func cmdCommandHelp(x *Ctx) {
	x.help("COMMAND",
		"(no subcommand)",
		"    Describe every command.",
		"COUNT",
		"    Return the number of commands.",
		"LIST [FILTERBY (MODULE <module-name>|ACLCAT <category>|PATTERN <pattern>)]",
		"    Return the names of the commands, optionally only those matching a filter.",
		"INFO [<command-name> ...]",
		"    Describe the given commands, or all of them.",
		"DOCS [<command-name> ...]",
		"    Return the documentation of the given commands, or of all of them.",
		"GETKEYS <full-command>",
		"    Return the key arguments of a full command.",
	)
}

// Key specs, as Redis 7.0 describes where a command's keys are.

const (
	beginUnknown = iota
	beginIndex
	beginKeyword
)

const (
	findUnknown = iota
	findRange
	findKeyNum
)

type keySpec struct {
	notes string
	flags []string
	// begin_search
	begin     int
	index     int    // beginIndex: the first key's position
	keyword   string // beginKeyword: the keys follow this word...
	startFrom int    // ...searched from this position (negative: from the end, backwards)
	// find_keys
	find      int
	lastKey   int // findRange: last key relative to the first (negative: from the end)
	keyStep   int
	limit     int // findRange with lastKey -1: only 1/limit of the rest are keys
	keyNumIdx int // findKeyNum: position of numkeys relative to the first
	firstKey  int // findKeyNum: first key relative to numkeys' position
}

// meta is what COMMAND prints about a command beyond the command table.
type meta struct {
	since, summary string
	tips           []string
	keySpecs       []keySpec
	args           []docArg
	// legacy is set when the table has no key specs for the command:
	// keys are found with the command table's positions.
	legacy bool
}

// hasKeys is Redis's doesCommandHaveKeys: some key spec is not a
// "not_key" one.
func (m *meta) hasKeys() bool {
	if m.legacy {
		return true
	}
	for i := range m.keySpecs {
		if !m.keySpecs[i].notKey() {
			return true
		}
	}
	return false
}

func (ks *keySpec) notKey() bool {
	for _, f := range ks.flags {
		if f == "not_key" {
			return true
		}
	}
	return false
}

// keyPositions finds the key positions in args (args[0] is the command
// name) as Redis's getKeysUsingKeySpecs does; ok is false where Redis
// reports "Invalid arguments" (a numkeys out of range, for instance).
func (m *meta) keyPositions(spec *command.Spec, args [][]byte) (pos []int, ok bool) {
	if m.legacy {
		return spec.KeyPositions(args), true
	}
	argc := len(args)
	for i := range m.keySpecs {
		ks := &m.keySpecs[i]
		if ks.notKey() {
			continue
		}
		first := 0
		switch ks.begin {
		case beginIndex:
			first = ks.index
		case beginKeyword:
			start, end, step := ks.startFrom, argc-1, 1
			if ks.startFrom <= 0 {
				start, end, step = argc+ks.startFrom, 0, -1
			}
			for j := start; j != end; j += step {
				if j >= argc || j < 1 {
					break
				}
				if strings.EqualFold(string(args[j]), ks.keyword) {
					first = j + 1
					break
				}
			}
			if first == 0 {
				continue // keyword absent: no keys from this spec
			}
		default:
			return nil, false
		}
		var last, step int
		switch ks.find {
		case findRange:
			switch {
			case ks.lastKey >= 0:
				last = first + ks.lastKey
			case ks.limit == 0:
				last = argc + ks.lastKey
			default:
				last = first + (argc-first)/ks.limit + ks.lastKey
			}
			step = ks.keyStep
		case findKeyNum:
			if first+ks.keyNumIdx >= argc {
				return nil, false
			}
			n, err := parseInt(args[first+ks.keyNumIdx])
			if err != nil || n < 0 || n > int64(argc) {
				return nil, false
			}
			first += ks.firstKey
			last = first + int(n) - 1
			step = ks.keyStep
		default:
			return nil, false
		}
		if last >= argc || last < first || first >= argc {
			return nil, false
		}
		for j := first; j <= last; j += step {
			pos = append(pos, j)
		}
	}
	return pos, true
}

// metas holds the parsed commandMetas, by spec.
var metas = parseMetas()

func metaOf(spec *command.Spec) *meta {
	if m := metas[spec.Name]; m != nil {
		return m
	}
	// A command added to the table without meta: derive a key spec from
	// the legacy positions, if it has any.
	m := &meta{legacy: spec.KeysFunc != nil}
	if spec.FirstKey > 0 && spec.KeysFunc == nil {
		flags := []string{"RO"}
		if spec.IsWrite() {
			flags = []string{"RW"}
		}
		last := spec.LastKey
		if last >= 0 {
			last -= spec.FirstKey
		}
		m.keySpecs = []keySpec{{flags: flags, begin: beginIndex, index: spec.FirstKey,
			find: findRange, lastKey: last, keyStep: spec.Step}}
	}
	return m
}

func parseMetas() map[string]*meta {
	out := make(map[string]*meta, len(commandMetas))
	for name, raw := range commandMetas {
		m := &meta{since: raw.since, summary: raw.summary}
		args, rest, err := parseArgs(raw.args)
		if err == nil && rest != "" {
			err = simpleError("unexpected " + strconv.Quote(rest))
		}
		if err != nil {
			panic("engine: arguments of " + name + ": " + err.Error())
		}
		m.args = args
		if raw.tips != "" {
			m.tips = strings.Fields(raw.tips)
		}
		if raw.keys != "" {
			for _, s := range strings.Split(raw.keys, ";") {
				ks, err := parseKeySpec(s)
				if err != nil {
					panic("engine: key spec of " + name + ": " + err.Error())
				}
				m.keySpecs = append(m.keySpecs, ks)
			}
		}
		out[name] = m
	}
	return out
}

// parseKeySpec parses the compact form used in commandMetas:
//
//	FLAGS|BEGIN|FIND[|#notes]
//
// FLAGS are space-separated; BEGIN is iN (index N), kWORD,N (keyword WORD
// searched from N) or u (unknown); FIND is rLAST,STEP,LIMIT (range),
// nIDX,FIRST,STEP (keynum) or u (unknown).
func parseKeySpec(s string) (keySpec, error) {
	var ks keySpec
	parts := strings.SplitN(s, "|", 4)
	if len(parts) < 3 {
		return ks, simpleError("want FLAGS|BEGIN|FIND in " + strconv.Quote(s))
	}
	ks.flags = strings.Fields(parts[0])
	if len(parts) == 4 {
		ks.notes = strings.TrimPrefix(parts[3], "#")
	}
	nums := func(p string, n int) ([]int, error) {
		f := strings.Split(p, ",")
		if len(f) != n {
			return nil, simpleError("bad numbers " + strconv.Quote(p))
		}
		out := make([]int, n)
		for i, v := range f {
			x, err := strconv.Atoi(v)
			if err != nil {
				return nil, err
			}
			out[i] = x
		}
		return out, nil
	}
	b := parts[1]
	switch {
	case b == "u":
		ks.begin = beginUnknown
	case strings.HasPrefix(b, "i"):
		v, err := nums(b[1:], 1)
		if err != nil {
			return ks, err
		}
		ks.begin, ks.index = beginIndex, v[0]
	case strings.HasPrefix(b, "k"):
		i := strings.LastIndexByte(b, ',')
		if i < 0 {
			return ks, simpleError("bad keyword " + strconv.Quote(b))
		}
		v, err := nums(b[i+1:], 1)
		if err != nil {
			return ks, err
		}
		ks.begin, ks.keyword, ks.startFrom = beginKeyword, b[1:i], v[0]
	default:
		return ks, simpleError("bad begin_search " + strconv.Quote(b))
	}
	f := parts[2]
	switch {
	case f == "u":
		ks.find = findUnknown
	case strings.HasPrefix(f, "r"):
		v, err := nums(f[1:], 3)
		if err != nil {
			return ks, err
		}
		ks.find, ks.lastKey, ks.keyStep, ks.limit = findRange, v[0], v[1], v[2]
	case strings.HasPrefix(f, "n"):
		v, err := nums(f[1:], 3)
		if err != nil {
			return ks, err
		}
		ks.find, ks.keyNumIdx, ks.firstKey, ks.keyStep = findKeyNum, v[0], v[1], v[2]
	default:
		return ks, simpleError("bad find_keys " + strconv.Quote(f))
	}
	return ks, nil
}

// commandMetas are, for every command of the table: the Redis version
// that introduced it, a one-line summary, Redis 7.0's command tips
// (space-separated), key specs (see parseKeySpec; ";" between specs) and
// arguments (see parseArgs). The versions, tips, key specs and argument
// lists are those of redis-server 7.0.15.
var commandMetas = map[string]struct{ since, summary, tips, keys, args string }{
	"ping":                 {"1.0.0", "Check that the server is alive", "request_policy:all_shards response_policy:all_succeeded", "", "?message;string"},
	"echo":                 {"1.0.0", "Return the given message", "", "", "message;string"},
	"quit":                 {"1.0.0", "Close the connection", "", "", ""},
	"auth":                 {"1.0.0", "Authenticate this connection", "", "", "?username;string;s=6.0.0 password;string"},
	"hello":                {"6.0.0", "Choose the protocol version and authenticate in one step", "", "", "?arguments;block(protover;integer ?username_password;block;t=AUTH(username;string password;string) ?clientname;string;t=SETNAME)"},
	"select":               {"1.0.0", "Switch this connection to another database", "", "", "index;integer"},
	"swapdb":               {"4.0.0", "Exchange the contents of two databases", "", "", "index1;integer index2;integer"},
	"dbsize":               {"1.0.0", "Count the keys of the current database", "request_policy:all_shards response_policy:agg_sum", "", ""},
	"flushdb":              {"1.0.0", "Delete every key of the current database", "request_policy:all_shards response_policy:all_succeeded", "", "?async;oneof(async;pure-token;t=ASYNC;s=4.0.0 sync;pure-token;t=SYNC;s=6.2.0)"},
	"flushall":             {"1.0.0", "Delete every key of every database", "request_policy:all_shards response_policy:all_succeeded", "", "?async;oneof(async;pure-token;t=ASYNC;s=4.0.0 sync;pure-token;t=SYNC;s=6.2.0)"},
	"info":                 {"1.0.0", "Report server information and statistics", "nondeterministic_output request_policy:all_shards response_policy:special", "", "?*section;string"},
	"config":               {"2.0.0", "Container for the configuration subcommands", "", "", ""},
	"config|get":           {"2.0.0", "Read configuration parameters", "", "", "*parameter;block(parameter;string)"},
	"config|set":           {"2.0.0", "Change configuration parameters at run time", "request_policy:all_nodes response_policy:all_succeeded", "", "*parameter_value;block(parameter;string value;string)"},
	"config|resetstat":     {"2.0.0", "Reset the statistics shown by INFO", "", "", ""},
	"config|rewrite":       {"2.8.0", "Write the running configuration to the config file", "", "", ""},
	"config|help":          {"5.0.0", "List the CONFIG subcommands", "", "", ""},
	"client":               {"2.4.0", "Container for the client connection subcommands", "", "", ""},
	"client|id":            {"5.0.0", "Return this connection's ID", "", "", ""},
	"client|setname":       {"2.6.9", "Name this connection", "", "", "connection-name;string"},
	"client|getname":       {"2.6.9", "Return this connection's name", "", "", ""},
	"client|list":          {"2.4.0", "Describe the open client connections", "nondeterministic_output", "", "?normal_master_replica_pubsub;oneof;t=TYPE;s=5.0.0(normal;pure-token;t=NORMAL master;pure-token;t=MASTER replica;pure-token;t=REPLICA pubsub;pure-token;t=PUBSUB) ?id;block;t=ID;s=6.2.0(*client-id;integer)"},
	"client|info":          {"6.2.0", "Describe this connection", "nondeterministic_output", "", ""},
	"client|kill":          {"2.4.0", "Close client connections", "", "", "filter;oneof(ip:port;string;d=2.8.12 *new-format;oneof(?client-id;integer;t=ID;s=2.8.12 ?normal_master_slave_pubsub;oneof;t=TYPE;s=2.8.12(normal;pure-token;t=NORMAL master;pure-token;t=MASTER;s=3.2.0 slave;pure-token;t=SLAVE replica;pure-token;t=REPLICA;s=5.0.0 pubsub;pure-token;t=PUBSUB) ?username;string;t=USER ?ip:port;string;t=ADDR ?ip:port;string;t=LADDR;s=6.2.0 ?yes/no;string;t=SKIPME))"},
	"client|help":          {"5.0.0", "List the CLIENT subcommands", "", "", ""},
	"command":              {"2.8.13", "Describe every command", "nondeterministic_output_order", "", ""},
	"command|count":        {"2.8.13", "Count the commands", "", "", ""},
	"command|info":         {"2.8.13", "Describe the given commands", "nondeterministic_output_order", "", "?*command-name;string"},
	"command|getkeys":      {"2.8.13", "Extract the keys of a full command", "", "", ""},
	"command|list":         {"7.0.0", "List command names, optionally filtered", "nondeterministic_output_order", "", "?filterby;oneof;t=FILTERBY(module-name;string;t=MODULE category;string;t=ACLCAT pattern;pattern;t=PATTERN)"},
	"command|docs":         {"7.0.0", "Return documentation for commands", "nondeterministic_output_order", "", "?*command-name;string"},
	"command|help":         {"5.0.0", "List the COMMAND subcommands", "", "", ""},
	"time":                 {"2.6.0", "Return the server's clock", "nondeterministic_output", "", ""},
	"lastsave":             {"1.0.0", "Return the time of the last successful save", "nondeterministic_output", "", ""},
	"save":                 {"1.0.0", "Save the dataset to disk, blocking", "", "", ""},
	"bgsave":               {"1.0.0", "Save the dataset to disk in the background", "", "", "?schedule;pure-token;t=SCHEDULE;s=3.2.2"},
	"bgrewriteaof":         {"1.0.0", "Compact the append-only file in the background", "", "", ""},
	"shutdown":             {"1.0.0", "Stop the server", "", "", "?nosave_save;oneof(nosave;pure-token;t=NOSAVE save;pure-token;t=SAVE) ?now;pure-token;t=NOW;s=7.0.0 ?force;pure-token;t=FORCE;s=7.0.0 ?abort;pure-token;t=ABORT;s=7.0.0"},
	"memory":               {"4.0.0", "Container for the memory subcommands", "", "", ""},
	"memory|usage":         {"4.0.0", "Estimate how much memory a key uses", "", "RO|i2|r0,1,0", "key;key;k=0 ?count;integer;t=SAMPLES"},
	"memory|help":          {"4.0.0", "List the MEMORY subcommands", "", "", ""},
	"del":                  {"1.0.0", "Remove keys", "request_policy:multi_shard response_policy:agg_sum", "RM delete|i1|r-1,1,0", "*key;key;k=0"},
	"unlink":               {"4.0.0", "Remove keys, freeing memory later", "request_policy:multi_shard response_policy:agg_sum", "RM delete|i1|r-1,1,0", "*key;key;k=0"},
	"exists":               {"1.0.0", "Count how many of the given keys exist", "request_policy:multi_shard response_policy:agg_sum", "RO|i1|r-1,1,0", "*key;key;k=0"},
	"type":                 {"1.0.0", "Return the type of a key's value", "", "RO|i1|r0,1,0", "key;key;k=0"},
	"keys":                 {"1.0.0", "List the keys matching a pattern", "request_policy:all_shards nondeterministic_output_order", "", "pattern;pattern"},
	"scan":                 {"2.8.0", "Walk the keyspace incrementally", "nondeterministic_output request_policy:special", "", "cursor;integer ?pattern;pattern;t=MATCH ?count;integer;t=COUNT ?type;string;t=TYPE;s=6.0.0"},
	"randomkey":            {"1.0.0", "Return a random key", "request_policy:all_shards nondeterministic_output", "", ""},
	"rename":               {"1.0.0", "Give a key a new name", "", "RW access delete|i1|r0,1,0;OW update|i2|r0,1,0", "key;key;k=0 newkey;key;k=1"},
	"renamenx":             {"1.0.0", "Give a key a new name unless that name is taken", "", "RW access delete|i1|r0,1,0;OW insert|i2|r0,1,0", "key;key;k=0 newkey;key;k=1"},
	"move":                 {"1.0.0", "Move a key to another database", "", "RW access update|i1|r0,1,0", "key;key;k=0 db;integer"},
	"copy":                 {"6.2.0", "Duplicate a key's value under another key", "", "RO access|i1|r0,1,0;OW update|i2|r0,1,0", "source;key;k=0 destination;key;k=1 ?destination-db;integer;t=DB ?replace;pure-token;t=REPLACE"},
	"touch":                {"3.2.1", "Update the access time of keys and count the existing ones", "request_policy:multi_shard response_policy:agg_sum", "RO|i1|r-1,1,0", "*key;key;k=0"},
	"expire":               {"1.0.0", "Give a key a time to live in seconds", "", "RW update|i1|r0,1,0", "key;key;k=0 seconds;integer ?condition;oneof;s=7.0.0(nx;pure-token;t=NX xx;pure-token;t=XX gt;pure-token;t=GT lt;pure-token;t=LT)"},
	"pexpire":              {"2.6.0", "Give a key a time to live in milliseconds", "", "RW update|i1|r0,1,0", "key;key;k=0 milliseconds;integer ?condition;oneof;s=7.0.0(nx;pure-token;t=NX xx;pure-token;t=XX gt;pure-token;t=GT lt;pure-token;t=LT)"},
	"expireat":             {"1.2.0", "Make a key expire at a Unix time in seconds", "", "RW update|i1|r0,1,0", "key;key;k=0 unix-time-seconds;unix-time ?condition;oneof;s=7.0.0(nx;pure-token;t=NX xx;pure-token;t=XX gt;pure-token;t=GT lt;pure-token;t=LT)"},
	"pexpireat":            {"2.6.0", "Make a key expire at a Unix time in milliseconds", "", "RW update|i1|r0,1,0", "key;key;k=0 unix-time-milliseconds;unix-time ?condition;oneof;s=7.0.0(nx;pure-token;t=NX xx;pure-token;t=XX gt;pure-token;t=GT lt;pure-token;t=LT)"},
	"ttl":                  {"1.0.0", "Return a key's remaining time to live in seconds", "nondeterministic_output", "RO access|i1|r0,1,0", "key;key;k=0"},
	"pttl":                 {"2.6.0", "Return a key's remaining time to live in milliseconds", "nondeterministic_output", "RO access|i1|r0,1,0", "key;key;k=0"},
	"expiretime":           {"7.0.0", "Return a key's expiry as a Unix time in seconds", "", "RO access|i1|r0,1,0", "key;key;k=0"},
	"pexpiretime":          {"7.0.0", "Return a key's expiry as a Unix time in milliseconds", "", "RO access|i1|r0,1,0", "key;key;k=0"},
	"persist":              {"2.2.0", "Remove a key's time to live", "", "RW update|i1|r0,1,0", "key;key;k=0"},
	"object":               {"2.2.3", "Container for the object inspection subcommands", "", "", ""},
	"object|encoding":      {"2.2.3", "Return the internal encoding of a key's value", "nondeterministic_output", "RO|i2|r0,1,0", "key;key;k=0"},
	"object|freq":          {"4.0.0", "Return a key's access frequency counter", "nondeterministic_output", "RO|i2|r0,1,0", "key;key;k=0"},
	"object|idletime":      {"2.2.3", "Return the seconds since a key was last accessed", "nondeterministic_output", "RO|i2|r0,1,0", "key;key;k=0"},
	"object|refcount":      {"2.2.3", "Return the reference count of a key's value", "nondeterministic_output", "RO|i2|r0,1,0", "key;key;k=0"},
	"object|help":          {"6.2.0", "List the OBJECT subcommands", "", "", ""},
	"dump":                 {"2.6.0", "Serialize a key's value", "nondeterministic_output", "RO access|i1|r0,1,0", "key;key;k=0"},
	"restore":              {"2.6.0", "Create a key from a serialized value", "", "OW update|i1|r0,1,0", "key;key;k=0 ttl;integer serialized-value;string ?replace;pure-token;t=REPLACE;s=3.0.0 ?absttl;pure-token;t=ABSTTL;s=5.0.0 ?seconds;integer;t=IDLETIME;s=5.0.0 ?frequency;integer;t=FREQ;s=5.0.0"},
	"set":                  {"1.0.0", "Store a string under a key", "", "RW access update variable_flags|i1|r0,1,0|#RW and ACCESS due to the optional `GET` argument", "key;key;k=0 value;string ?condition;oneof;s=2.6.12(nx;pure-token;t=NX xx;pure-token;t=XX) ?get;pure-token;t=GET;s=6.2.0 ?expiration;oneof(seconds;integer;t=EX;s=2.6.12 milliseconds;integer;t=PX;s=2.6.12 unix-time-seconds;unix-time;t=EXAT;s=6.2.0 unix-time-milliseconds;unix-time;t=PXAT;s=6.2.0 keepttl;pure-token;t=KEEPTTL;s=6.0.0)"},
	"get":                  {"1.0.0", "Read the string stored under a key", "", "RO access|i1|r0,1,0", "key;key;k=0"},
	"getset":               {"1.0.0", "Store a string and return the previous one", "", "RW access update|i1|r0,1,0", "key;key;k=0 value;string"},
	"getdel":               {"6.2.0", "Read a string and delete its key", "", "RW access delete|i1|r0,1,0", "key;key;k=0"},
	"getex":                {"6.2.0", "Read a string and change its key's expiry", "", "RW access update|i1|r0,1,0|#RW and UPDATE because it changes the TTL", "key;key;k=0 ?expiration;oneof(seconds;integer;t=EX milliseconds;integer;t=PX unix-time-seconds;unix-time;t=EXAT unix-time-milliseconds;unix-time;t=PXAT persist;pure-token;t=PERSIST)"},
	"setnx":                {"1.0.0", "Store a string only if the key is missing", "", "OW insert|i1|r0,1,0", "key;key;k=0 value;string"},
	"setex":                {"2.0.0", "Store a string with a time to live in seconds", "", "OW update|i1|r0,1,0", "key;key;k=0 seconds;integer value;string"},
	"psetex":               {"2.6.0", "Store a string with a time to live in milliseconds", "", "OW update|i1|r0,1,0", "key;key;k=0 milliseconds;integer value;string"},
	"mget":                 {"1.0.0", "Read the strings of several keys", "request_policy:multi_shard", "RO access|i1|r-1,1,0", "*key;key;k=0"},
	"mset":                 {"1.0.1", "Store several strings at once", "request_policy:multi_shard response_policy:all_succeeded", "OW update|i1|r-1,2,0", "*key_value;block(key;key;k=0 value;string)"},
	"msetnx":               {"1.0.1", "Store several strings only if none of the keys exists", "request_policy:multi_shard response_policy:agg_min", "OW insert|i1|r-1,2,0", "*key_value;block(key;key;k=0 value;string)"},
	"append":               {"2.0.0", "Add bytes to the end of a string", "", "RW insert|i1|r0,1,0", "key;key;k=0 value;string"},
	"strlen":               {"2.2.0", "Return the length of a string", "", "RO|i1|r0,1,0", "key;key;k=0"},
	"incr":                 {"1.0.0", "Add one to an integer string", "", "RW access update|i1|r0,1,0", "key;key;k=0"},
	"decr":                 {"1.0.0", "Subtract one from an integer string", "", "RW access update|i1|r0,1,0", "key;key;k=0"},
	"incrby":               {"1.0.0", "Add an integer to an integer string", "", "RW access update|i1|r0,1,0", "key;key;k=0 increment;integer"},
	"decrby":               {"1.0.0", "Subtract an integer from an integer string", "", "RW access update|i1|r0,1,0", "key;key;k=0 decrement;integer"},
	"incrbyfloat":          {"2.6.0", "Add a floating-point number to a numeric string", "", "RW access update|i1|r0,1,0", "key;key;k=0 increment;double"},
	"getrange":             {"2.4.0", "Read part of a string", "", "RO access|i1|r0,1,0", "key;key;k=0 start;integer end;integer"},
	"setrange":             {"2.2.0", "Overwrite part of a string", "", "RW update|i1|r0,1,0", "key;key;k=0 offset;integer value;string"},
	"substr":               {"1.0.0", "Read part of a string (old name of GETRANGE)", "", "RO access|i1|r0,1,0", "key;key;k=0 start;integer end;integer"},
	"lcs":                  {"7.0.0", "Find the longest common subsequence of two strings", "", "RO access|i1|r1,1,0", "key1;key;k=0 key2;key;k=0 ?len;pure-token;t=LEN ?idx;pure-token;t=IDX ?len;integer;t=MINMATCHLEN ?withmatchlen;pure-token;t=WITHMATCHLEN"},
	"setbit":               {"2.2.0", "Set or clear one bit of a string", "", "RW access update|i1|r0,1,0", "key;key;k=0 offset;integer value;integer"},
	"getbit":               {"2.2.0", "Read one bit of a string", "", "RO access|i1|r0,1,0", "key;key;k=0 offset;integer"},
	"bitcount":             {"2.6.0", "Count the set bits of a string", "", "RO access|i1|r0,1,0", "key;key;k=0 ?index;block(start;integer end;integer ?index_unit;oneof;s=7.0.0(byte;pure-token;t=BYTE bit;pure-token;t=BIT))"},
	"bitpos":               {"2.8.7", "Find the first bit set or clear in a string", "", "RO access|i1|r0,1,0", "key;key;k=0 bit;integer ?index;block(start;integer ?end_index;block(end;integer ?index_unit;oneof;s=7.0.0(byte;pure-token;t=BYTE bit;pure-token;t=BIT)))"},
	"bitop":                {"2.6.0", "Combine strings bitwise into a new key", "", "OW update|i2|r0,1,0;RO access|i3|r-1,1,0", "operation;string destkey;key;k=0 *key;key;k=1"},
	"bitfield":             {"3.2.0", "Read and write integer fields of a string", "", "RW access update variable_flags|i1|r0,1,0|#This command allows both access and modification of the key", "key;key;k=0 ?*operation;oneof(encoding_offset;block;t=GET(encoding;string offset;integer) write;block(?wrap_sat_fail;oneof;t=OVERFLOW(wrap;pure-token;t=WRAP sat;pure-token;t=SAT fail;pure-token;t=FAIL) write_operation;oneof(encoding_offset_value;block;t=SET(encoding;string offset;integer value;integer) encoding_offset_increment;block;t=INCRBY(encoding;string offset;integer increment;integer))))"},
	"bitfield_ro":          {"6.0.0", "Read integer fields of a string", "", "RO access|i1|r0,1,0", "key;key;k=0 ?*+encoding_offset;block;t=GET(encoding;string offset;integer)"},
	"lpush":                {"1.0.0", "Add elements at the head of a list", "", "RW insert|i1|r0,1,0", "key;key;k=0 *element;string"},
	"rpush":                {"1.0.0", "Add elements at the tail of a list", "", "RW insert|i1|r0,1,0", "key;key;k=0 *element;string"},
	"lpushx":               {"2.2.0", "Add elements at the head of an existing list", "", "RW insert|i1|r0,1,0", "key;key;k=0 *element;string"},
	"rpushx":               {"2.2.0", "Add elements at the tail of an existing list", "", "RW insert|i1|r0,1,0", "key;key;k=0 *element;string"},
	"lpop":                 {"1.0.0", "Remove and return elements from the head of a list", "", "RW access delete|i1|r0,1,0", "key;key;k=0 ?count;integer;s=6.2.0"},
	"rpop":                 {"1.0.0", "Remove and return elements from the tail of a list", "", "RW access delete|i1|r0,1,0", "key;key;k=0 ?count;integer;s=6.2.0"},
	"llen":                 {"1.0.0", "Return the length of a list", "", "RO|i1|r0,1,0", "key;key;k=0"},
	"lrange":               {"1.0.0", "Return a range of list elements", "", "RO access|i1|r0,1,0", "key;key;k=0 start;integer stop;integer"},
	"lindex":               {"1.0.0", "Return the list element at an index", "", "RO access|i1|r0,1,0", "key;key;k=0 index;integer"},
	"lset":                 {"1.0.0", "Replace the list element at an index", "", "RW update|i1|r0,1,0", "key;key;k=0 index;integer element;string"},
	"linsert":              {"2.2.0", "Insert an element before or after another one", "", "RW insert|i1|r0,1,0", "key;key;k=0 where;oneof(before;pure-token;t=BEFORE after;pure-token;t=AFTER) pivot;string element;string"},
	"lrem":                 {"1.0.0", "Remove occurrences of an element from a list", "", "RW delete|i1|r0,1,0", "key;key;k=0 count;integer element;string"},
	"ltrim":                {"1.0.0", "Keep only a range of a list", "", "RW delete|i1|r0,1,0", "key;key;k=0 start;integer stop;integer"},
	"lpos":                 {"6.0.6", "Find the positions of an element in a list", "", "RO access|i1|r0,1,0", "key;key;k=0 element;string ?rank;integer;t=RANK ?num-matches;integer;t=COUNT ?len;integer;t=MAXLEN"},
	"lmove":                {"6.2.0", "Pop an element from one list and push it to another", "", "RW access delete|i1|r0,1,0;RW insert|i2|r0,1,0", "source;key;k=0 destination;key;k=1 wherefrom;oneof(left;pure-token;t=LEFT right;pure-token;t=RIGHT) whereto;oneof(left;pure-token;t=LEFT right;pure-token;t=RIGHT)"},
	"rpoplpush":            {"1.2.0", "Pop from the tail of a list and push to the head of another", "", "RW access delete|i1|r0,1,0;RW insert|i2|r0,1,0", "source;key;k=0 destination;key;k=1"},
	"lmpop":                {"7.0.0", "Pop elements from the first non-empty list", "", "RW access delete|i1|n0,1,1", "numkeys;integer *key;key;k=0 where;oneof(left;pure-token;t=LEFT right;pure-token;t=RIGHT) ?count;integer;t=COUNT"},
	"blpop":                {"2.0.0", "Pop from the head of the first non-empty list, waiting if none", "", "RW access delete|i1|r-2,1,0", "*key;key;k=0 timeout;double"},
	"brpop":                {"2.0.0", "Pop from the tail of the first non-empty list, waiting if none", "", "RW access delete|i1|r-2,1,0", "*key;key;k=0 timeout;double"},
	"blmove":               {"6.2.0", "Move an element between lists, waiting for one if needed", "", "RW access delete|i1|r0,1,0;RW insert|i2|r0,1,0", "source;key;k=0 destination;key;k=1 wherefrom;oneof(left;pure-token;t=LEFT right;pure-token;t=RIGHT) whereto;oneof(left;pure-token;t=LEFT right;pure-token;t=RIGHT) timeout;double"},
	"brpoplpush":           {"2.2.0", "Move an element between lists tail to head, waiting if needed", "", "RW access delete|i1|r0,1,0;RW insert|i2|r0,1,0", "source;key;k=0 destination;key;k=1 timeout;double"},
	"blmpop":               {"7.0.0", "Pop elements from the first non-empty list, waiting if none", "", "RW access delete|i2|n0,1,1", "timeout;double numkeys;integer *key;key;k=0 where;oneof(left;pure-token;t=LEFT right;pure-token;t=RIGHT) ?count;integer;t=COUNT"},
	"hset":                 {"2.0.0", "Set fields of a hash", "", "RW update|i1|r0,1,0", "key;key;k=0 *field_value;block(field;string value;string)"},
	"hsetnx":               {"2.0.0", "Set a hash field only if it is missing", "", "RW insert|i1|r0,1,0", "key;key;k=0 field;string value;string"},
	"hget":                 {"2.0.0", "Read a hash field", "", "RO access|i1|r0,1,0", "key;key;k=0 field;string"},
	"hmget":                {"2.0.0", "Read several hash fields", "", "RO access|i1|r0,1,0", "key;key;k=0 *field;string"},
	"hmset":                {"2.0.0", "Set several hash fields (older form of HSET)", "", "RW update|i1|r0,1,0", "key;key;k=0 *field_value;block(field;string value;string)"},
	"hdel":                 {"2.0.0", "Remove fields from a hash", "", "RW delete|i1|r0,1,0", "key;key;k=0 *field;string"},
	"hlen":                 {"2.0.0", "Count the fields of a hash", "", "RO|i1|r0,1,0", "key;key;k=0"},
	"hstrlen":              {"3.2.0", "Return the length of a hash field's value", "", "RO|i1|r0,1,0", "key;key;k=0 field;string"},
	"hexists":              {"2.0.0", "Check whether a hash field exists", "", "RO|i1|r0,1,0", "key;key;k=0 field;string"},
	"hkeys":                {"2.0.0", "List the fields of a hash", "nondeterministic_output_order", "RO access|i1|r0,1,0", "key;key;k=0"},
	"hvals":                {"2.0.0", "List the values of a hash", "nondeterministic_output_order", "RO access|i1|r0,1,0", "key;key;k=0"},
	"hgetall":              {"2.0.0", "Return every field and value of a hash", "nondeterministic_output_order", "RO access|i1|r0,1,0", "key;key;k=0"},
	"hincrby":              {"2.0.0", "Add an integer to a hash field", "", "RW access update|i1|r0,1,0", "key;key;k=0 field;string increment;integer"},
	"hincrbyfloat":         {"2.6.0", "Add a floating-point number to a hash field", "", "RW access update|i1|r0,1,0", "key;key;k=0 field;string increment;double"},
	"hrandfield":           {"6.2.0", "Return random fields of a hash", "nondeterministic_output", "RO access|i1|r0,1,0", "key;key;k=0 ?options;block(count;integer ?withvalues;pure-token;t=WITHVALUES)"},
	"hscan":                {"2.8.0", "Walk the fields of a hash incrementally", "nondeterministic_output", "RO access|i1|r0,1,0", "key;key;k=0 cursor;integer ?pattern;pattern;t=MATCH ?count;integer;t=COUNT"},
	"sadd":                 {"1.0.0", "Add members to a set", "", "RW insert|i1|r0,1,0", "key;key;k=0 *member;string"},
	"srem":                 {"1.0.0", "Remove members from a set", "", "RW delete|i1|r0,1,0", "key;key;k=0 *member;string"},
	"sismember":            {"1.0.0", "Check whether a value belongs to a set", "", "RO|i1|r0,1,0", "key;key;k=0 member;string"},
	"smismember":           {"6.2.0", "Check which of several values belong to a set", "", "RO access|i1|r0,1,0", "key;key;k=0 *member;string"},
	"smembers":             {"1.0.0", "List the members of a set", "nondeterministic_output_order", "RO access|i1|r0,1,0", "key;key;k=0"},
	"scard":                {"1.0.0", "Count the members of a set", "", "RO|i1|r0,1,0", "key;key;k=0"},
	"spop":                 {"1.0.0", "Remove and return random members of a set", "nondeterministic_output", "RW access delete|i1|r0,1,0", "key;key;k=0 ?count;integer;s=3.2.0"},
	"srandmember":          {"1.0.0", "Return random members of a set", "nondeterministic_output", "RO access|i1|r0,1,0", "key;key;k=0 ?count;integer;s=2.6.0"},
	"smove":                {"1.0.0", "Move a member from one set to another", "", "RW access delete|i1|r0,1,0;RW insert|i2|r0,1,0", "source;key;k=0 destination;key;k=1 member;string"},
	"sinter":               {"1.0.0", "Intersect sets", "nondeterministic_output_order", "RO access|i1|r-1,1,0", "*key;key;k=0"},
	"sintercard":           {"7.0.0", "Count the members of the intersection of sets", "", "RO access|i1|n0,1,1", "numkeys;integer *key;key;k=0 ?limit;integer;t=LIMIT"},
	"sinterstore":          {"1.0.0", "Intersect sets and store the result", "", "RW update|i1|r0,1,0;RO access|i2|r-1,1,0", "destination;key;k=0 *key;key;k=1"},
	"sunion":               {"1.0.0", "Unite sets", "nondeterministic_output_order", "RO access|i1|r-1,1,0", "*key;key;k=0"},
	"sunionstore":          {"1.0.0", "Unite sets and store the result", "", "OW update|i1|r0,1,0;RO access|i2|r-1,1,0", "destination;key;k=0 *key;key;k=1"},
	"sdiff":                {"1.0.0", "Subtract sets from a set", "nondeterministic_output_order", "RO access|i1|r-1,1,0", "*key;key;k=0"},
	"sdiffstore":           {"1.0.0", "Subtract sets from a set and store the result", "", "OW update|i1|r0,1,0;RO access|i2|r-1,1,0", "destination;key;k=0 *key;key;k=1"},
	"sscan":                {"2.8.0", "Walk the members of a set incrementally", "nondeterministic_output", "RO access|i1|r0,1,0", "key;key;k=0 cursor;integer ?pattern;pattern;t=MATCH ?count;integer;t=COUNT"},
	"zadd":                 {"1.2.0", "Add members to a sorted set or update their scores", "", "RW update|i1|r0,1,0", "key;key;k=0 ?condition;oneof;s=3.0.2(nx;pure-token;t=NX xx;pure-token;t=XX) ?comparison;oneof;s=6.2.0(gt;pure-token;t=GT lt;pure-token;t=LT) ?change;pure-token;t=CH;s=3.0.2 ?increment;pure-token;t=INCR;s=3.0.2 *score_member;block(score;double member;string)"},
	"zrem":                 {"1.2.0", "Remove members from a sorted set", "", "RW delete|i1|r0,1,0", "key;key;k=0 *member;string"},
	"zcard":                {"1.2.0", "Count the members of a sorted set", "", "RO|i1|r0,1,0", "key;key;k=0"},
	"zscore":               {"1.2.0", "Return a member's score", "", "RO access|i1|r0,1,0", "key;key;k=0 member;string"},
	"zmscore":              {"6.2.0", "Return the scores of several members", "", "RO access|i1|r0,1,0", "key;key;k=0 *member;string"},
	"zincrby":              {"1.2.0", "Add to a member's score", "", "RW access update|i1|r0,1,0", "key;key;k=0 increment;integer member;string"},
	"zrank":                {"2.0.0", "Return a member's rank, lowest score first", "", "RO access|i1|r0,1,0", "key;key;k=0 member;string"},
	"zrevrank":             {"2.0.0", "Return a member's rank, highest score first", "", "RO access|i1|r0,1,0", "key;key;k=0 member;string"},
	"zcount":               {"2.0.0", "Count the members within a score range", "", "RO access|i1|r0,1,0", "key;key;k=0 min;double max;double"},
	"zlexcount":            {"2.8.9", "Count the members within a lexicographical range", "", "RO access|i1|r0,1,0", "key;key;k=0 min;string max;string"},
	"zrange":               {"1.2.0", "Return a range of members by rank, score or name", "", "RO access|i1|r0,1,0", "key;key;k=0 start;string stop;string ?sortby;oneof;s=6.2.0(byscore;pure-token;t=BYSCORE bylex;pure-token;t=BYLEX) ?rev;pure-token;t=REV;s=6.2.0 ?offset_count;block;t=LIMIT;s=6.2.0(offset;integer count;integer) ?withscores;pure-token;t=WITHSCORES"},
	"zrangebyscore":        {"1.0.5", "Return the members within a score range", "", "RO access|i1|r0,1,0", "key;key;k=0 min;double max;double ?withscores;pure-token;t=WITHSCORES;s=2.0.0 ?offset_count;block;t=LIMIT(offset;integer count;integer)"},
	"zrevrangebyscore":     {"2.2.0", "Return the members within a score range, highest first", "", "RO access|i1|r0,1,0", "key;key;k=0 max;double min;double ?withscores;pure-token;t=WITHSCORES ?offset_count;block;t=LIMIT(offset;integer count;integer)"},
	"zrangebylex":          {"2.8.9", "Return the members within a lexicographical range", "", "RO access|i1|r0,1,0", "key;key;k=0 min;string max;string ?offset_count;block;t=LIMIT(offset;integer count;integer)"},
	"zrevrangebylex":       {"2.8.9", "Return the members within a lexicographical range, reversed", "", "RO access|i1|r0,1,0", "key;key;k=0 max;string min;string ?offset_count;block;t=LIMIT(offset;integer count;integer)"},
	"zrevrange":            {"1.2.0", "Return a range of members by rank, highest score first", "", "RO access|i1|r0,1,0", "key;key;k=0 start;integer stop;integer ?withscores;pure-token;t=WITHSCORES"},
	"zrangestore":          {"6.2.0", "Store a range of a sorted set in another key", "", "OW update|i1|r0,1,0;RO access|i2|r0,1,0", "dst;key;k=0 src;key;k=1 min;string max;string ?sortby;oneof(byscore;pure-token;t=BYSCORE bylex;pure-token;t=BYLEX) ?rev;pure-token;t=REV ?offset_count;block;t=LIMIT(offset;integer count;integer)"},
	"zremrangebyrank":      {"2.0.0", "Remove the members within a rank range", "", "RW delete|i1|r0,1,0", "key;key;k=0 start;integer stop;integer"},
	"zremrangebyscore":     {"1.2.0", "Remove the members within a score range", "", "RW delete|i1|r0,1,0", "key;key;k=0 min;double max;double"},
	"zremrangebylex":       {"2.8.9", "Remove the members within a lexicographical range", "", "RW delete|i1|r0,1,0", "key;key;k=0 min;string max;string"},
	"zpopmin":              {"5.0.0", "Remove and return the members with the lowest scores", "", "RW access delete|i1|r0,1,0", "key;key;k=0 ?count;integer"},
	"zpopmax":              {"5.0.0", "Remove and return the members with the highest scores", "", "RW access delete|i1|r0,1,0", "key;key;k=0 ?count;integer"},
	"bzpopmin":             {"5.0.0", "Pop the lowest-scored member of the first non-empty sorted set, waiting if none", "", "RW access delete|i1|r-2,1,0", "*key;key;k=0 timeout;double"},
	"bzpopmax":             {"5.0.0", "Pop the highest-scored member of the first non-empty sorted set, waiting if none", "", "RW access delete|i1|r-2,1,0", "*key;key;k=0 timeout;double"},
	"zrandmember":          {"6.2.0", "Return random members of a sorted set", "nondeterministic_output", "RO access|i1|r0,1,0", "key;key;k=0 ?options;block(count;integer ?withscores;pure-token;t=WITHSCORES)"},
	"zunion":               {"6.2.0", "Unite sorted sets", "", "RO access|i1|n0,1,1", "numkeys;integer *key;key;k=0 ?*weight;integer;t=WEIGHTS ?aggregate;oneof;t=AGGREGATE(sum;pure-token;t=SUM min;pure-token;t=MIN max;pure-token;t=MAX) ?withscores;pure-token;t=WITHSCORES"},
	"zinter":               {"6.2.0", "Intersect sorted sets", "", "RO access|i1|n0,1,1", "numkeys;integer *key;key;k=0 ?*weight;integer;t=WEIGHTS ?aggregate;oneof;t=AGGREGATE(sum;pure-token;t=SUM min;pure-token;t=MIN max;pure-token;t=MAX) ?withscores;pure-token;t=WITHSCORES"},
	"zdiff":                {"6.2.0", "Subtract sorted sets from a sorted set", "", "RO access|i1|n0,1,1", "numkeys;integer *key;key;k=0 ?withscores;pure-token;t=WITHSCORES"},
	"zunionstore":          {"2.0.0", "Unite sorted sets and store the result", "", "OW update|i1|r0,1,0;RO access|i2|n0,1,1", "destination;key;k=0 numkeys;integer *key;key;k=1 ?*weight;integer;t=WEIGHTS ?aggregate;oneof;t=AGGREGATE(sum;pure-token;t=SUM min;pure-token;t=MIN max;pure-token;t=MAX)"},
	"zinterstore":          {"2.0.0", "Intersect sorted sets and store the result", "", "OW update|i1|r0,1,0;RO access|i2|n0,1,1", "destination;key;k=0 numkeys;integer *key;key;k=1 ?*weight;integer;t=WEIGHTS ?aggregate;oneof;t=AGGREGATE(sum;pure-token;t=SUM min;pure-token;t=MIN max;pure-token;t=MAX)"},
	"zdiffstore":           {"6.2.0", "Subtract sorted sets and store the result", "", "OW update|i1|r0,1,0;RO access|i2|n0,1,1", "destination;key;k=0 numkeys;integer *key;key;k=1"},
	"zintercard":           {"7.0.0", "Count the members of the intersection of sorted sets", "", "RO access|i1|n0,1,1", "numkeys;integer *key;key;k=0 ?limit;integer;t=LIMIT"},
	"zmpop":                {"7.0.0", "Pop members from the first non-empty sorted set", "", "RW access delete|i1|n0,1,1", "numkeys;integer *key;key;k=0 where;oneof(min;pure-token;t=MIN max;pure-token;t=MAX) ?count;integer;t=COUNT"},
	"bzmpop":               {"7.0.0", "Pop members from the first non-empty sorted set, waiting if none", "", "RW access delete|i2|n0,1,1", "timeout;double numkeys;integer *key;key;k=0 where;oneof(min;pure-token;t=MIN max;pure-token;t=MAX) ?count;integer;t=COUNT"},
	"zscan":                {"2.8.0", "Walk the members of a sorted set incrementally", "nondeterministic_output", "RO access|i1|r0,1,0", "key;key;k=0 cursor;integer ?pattern;pattern;t=MATCH ?count;integer;t=COUNT"},
	"geoadd":               {"3.2.0", "Add places with their coordinates", "", "RW update|i1|r0,1,0", "key;key;k=0 ?condition;oneof;s=6.2.0(nx;pure-token;t=NX xx;pure-token;t=XX) ?change;pure-token;t=CH;s=6.2.0 *longitude_latitude_member;block(longitude;double latitude;double member;string)"},
	"geopos":               {"3.2.0", "Return the coordinates of places", "", "RO access|i1|r0,1,0", "key;key;k=0 *member;string"},
	"geodist":              {"3.2.0", "Return the distance between two places", "", "RO access|i1|r0,1,0", "key;key;k=0 member1;string member2;string ?unit;oneof(m;pure-token;t=M km;pure-token;t=KM ft;pure-token;t=FT mi;pure-token;t=MI)"},
	"geohash":              {"3.2.0", "Return the geohash strings of places", "", "RO access|i1|r0,1,0", "key;key;k=0 *member;string"},
	"geosearch":            {"6.2.0", "Find the places within an area", "", "RO access|i1|r0,1,0", "key;key;k=0 from;oneof(member;string;t=FROMMEMBER longitude_latitude;block;t=FROMLONLAT(longitude;double latitude;double)) by;oneof(circle;block(radius;double;t=BYRADIUS unit;oneof(m;pure-token;t=M km;pure-token;t=KM ft;pure-token;t=FT mi;pure-token;t=MI)) box;block(width;double;t=BYBOX height;double unit;oneof(m;pure-token;t=M km;pure-token;t=KM ft;pure-token;t=FT mi;pure-token;t=MI))) ?order;oneof(asc;pure-token;t=ASC desc;pure-token;t=DESC) ?count;block(count;integer;t=COUNT ?any;pure-token;t=ANY) ?withcoord;pure-token;t=WITHCOORD ?withdist;pure-token;t=WITHDIST ?withhash;pure-token;t=WITHHASH"},
	"geosearchstore":       {"6.2.0", "Find the places within an area and store them", "", "OW update|i1|r0,1,0;RO access|i2|r0,1,0", "destination;key;k=0 source;key;k=1 from;oneof(member;string;t=FROMMEMBER longitude_latitude;block;t=FROMLONLAT(longitude;double latitude;double)) by;oneof(circle;block(radius;double;t=BYRADIUS unit;oneof(m;pure-token;t=M km;pure-token;t=KM ft;pure-token;t=FT mi;pure-token;t=MI)) box;block(width;double;t=BYBOX height;double unit;oneof(m;pure-token;t=M km;pure-token;t=KM ft;pure-token;t=FT mi;pure-token;t=MI))) ?order;oneof(asc;pure-token;t=ASC desc;pure-token;t=DESC) ?count;block(count;integer;t=COUNT ?any;pure-token;t=ANY) ?storedist;pure-token;t=STOREDIST"},
	"georadius":            {"3.2.0", "Find the places within a radius of a point", "", "RO access|i1|r0,1,0;OW update|kSTORE,6|r0,1,0;OW update|kSTOREDIST,6|r0,1,0", "key;key;k=0 longitude;double latitude;double radius;double unit;oneof(m;pure-token;t=M km;pure-token;t=KM ft;pure-token;t=FT mi;pure-token;t=MI) ?withcoord;pure-token;t=WITHCOORD ?withdist;pure-token;t=WITHDIST ?withhash;pure-token;t=WITHHASH ?count;block(count;integer;t=COUNT ?any;pure-token;t=ANY;s=6.2.0) ?order;oneof(asc;pure-token;t=ASC desc;pure-token;t=DESC) ?key;key;k=1;t=STORE ?key;key;k=2;t=STOREDIST"},
	"georadius_ro":         {"3.2.10", "Find the places within a radius of a point, read-only", "", "RO access|i1|r0,1,0", "key;key;k=0 longitude;double latitude;double radius;double unit;oneof(m;pure-token;t=M km;pure-token;t=KM ft;pure-token;t=FT mi;pure-token;t=MI) ?withcoord;pure-token;t=WITHCOORD ?withdist;pure-token;t=WITHDIST ?withhash;pure-token;t=WITHHASH ?count;block(count;integer;t=COUNT ?any;pure-token;t=ANY;s=6.2.0) ?order;oneof(asc;pure-token;t=ASC desc;pure-token;t=DESC)"},
	"georadiusbymember":    {"3.2.0", "Find the places within a radius of a member", "", "RO access|i1|r0,1,0;OW update|kSTORE,5|r0,1,0;OW update|kSTOREDIST,5|r0,1,0", "key;key;k=0 member;string radius;double unit;oneof(m;pure-token;t=M km;pure-token;t=KM ft;pure-token;t=FT mi;pure-token;t=MI) ?withcoord;pure-token;t=WITHCOORD ?withdist;pure-token;t=WITHDIST ?withhash;pure-token;t=WITHHASH ?count;block(count;integer;t=COUNT ?any;pure-token;t=ANY) ?order;oneof(asc;pure-token;t=ASC desc;pure-token;t=DESC) ?key;key;k=1;t=STORE ?key;key;k=2;t=STOREDIST"},
	"georadiusbymember_ro": {"3.2.10", "Find the places within a radius of a member, read-only", "", "RO access|i1|r0,1,0", "key;key;k=0 member;string radius;double unit;oneof(m;pure-token;t=M km;pure-token;t=KM ft;pure-token;t=FT mi;pure-token;t=MI) ?withcoord;pure-token;t=WITHCOORD ?withdist;pure-token;t=WITHDIST ?withhash;pure-token;t=WITHHASH ?count;block(count;integer;t=COUNT ?any;pure-token;t=ANY) ?order;oneof(asc;pure-token;t=ASC desc;pure-token;t=DESC)"},
	"subscribe":            {"2.0.0", "Listen for messages on channels", "", "", "*channel;string"},
	"unsubscribe":          {"2.0.0", "Stop listening on channels", "", "", "?*channel;string"},
	"psubscribe":           {"2.0.0", "Listen for messages on channels matching patterns", "", "", "*pattern;block(pattern;pattern)"},
	"punsubscribe":         {"2.0.0", "Stop listening on channel patterns", "", "", "?*pattern;pattern"},
	"publish":              {"2.0.0", "Send a message to a channel", "", "", "channel;string message;string"},
	"pubsub":               {"2.8.0", "Container for the pub/sub introspection subcommands", "", "", ""},
	"pubsub|channels":      {"2.8.0", "List the channels with subscribers", "", "", "?pattern;pattern"},
	"pubsub|numsub":        {"2.8.0", "Count the subscribers of channels", "", "", "?*channel;string"},
	"pubsub|numpat":        {"2.8.0", "Count the pattern subscriptions", "", "", ""},
	"pubsub|shardchannels": {"7.0.0", "List the shard channels with subscribers", "", "", "?pattern;pattern"},
	"pubsub|shardnumsub":   {"7.0.0", "Count the subscribers of shard channels", "", "", "?*shardchannel;string"},
	"pubsub|help":          {"6.2.0", "List the PUBSUB subcommands", "", "", ""},
	"ssubscribe":           {"7.0.0", "Listen for messages on shard channels", "", "not_key|i1|r-1,1,0", "*shardchannel;string"},
	"sunsubscribe":         {"7.0.0", "Stop listening on shard channels", "", "not_key|i1|r-1,1,0", "?*shardchannel;string"},
	"spublish":             {"7.0.0", "Send a message to a shard channel", "", "not_key|i1|r0,1,0", "shardchannel;string message;string"},
	"multi":                {"1.2.0", "Start a transaction", "", "", ""},
	"exec":                 {"1.2.0", "Run the queued commands of a transaction", "", "", ""},
	"discard":              {"2.0.0", "Drop the queued commands of a transaction", "", "", ""},
	"watch":                {"2.2.0", "Make the next transaction depend on keys staying unchanged", "", "RO|i1|r-1,1,0", "*key;key;k=0"},
	"unwatch":              {"2.2.0", "Forget the watched keys", "", "", ""},
}
