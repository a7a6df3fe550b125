package config

import (
	"errors"
	"fmt"
	"io/fs"
	"math"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// value is the current setting of one directive.
type value struct {
	s    string   // as CONFIG GET prints it
	n    int64    // numeric form: number, 0/1, enum value or flags
	list []string // bind addresses
}

func (v value) equal(o value) bool {
	if v.s != o.s || v.n != o.n || len(v.list) != len(o.list) {
		return false
	}
	for i := range v.list {
		if v.list[i] != o.list[i] {
			return false
		}
	}
	return true
}

// setState carries what a parser needs besides its arguments.
type setState struct {
	loading    bool    // reading a config file or startup overrides
	saveLoaded *bool   // a save directive was already read at startup
	vals       []value // the values being built, indexed like table
}

func (st *setState) get(name string) value {
	if st.vals == nil {
		return value{}
	}
	return st.vals[byName[name]]
}

// defaultValue parses d.Default into a value; cwd is the default dir.
func defaultValue(d *Directive, cwd string) value {
	switch d.Name {
	case "dir":
		return value{s: cwd}
	case "replicaof":
		return value{}
	}
	args := []string{d.Default}
	if d.MultiArg {
		args = splitSpaces(d.Default)
	}
	v, err := parseArgs(&setState{}, d, value{}, args)
	if err != nil {
		panic(fmt.Sprintf("config: bad default %q for %s: %v", d.Default, d.Name, err))
	}
	return v
}

// splitSpaces splits a CONFIG SET value of a multi-argument directive as
// Redis does: at every single space, nothing at all for "".
func splitSpaces(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, " ")
}

// parseArgs turns the arguments of d into its new value. The error text
// is Redis's reason, without prefix.
func parseArgs(st *setState, d *Directive, cur value, args []string) (value, error) {
	if d.parse != nil {
		return d.parse(st, d, cur, args)
	}
	var v value
	var err error
	switch d.Kind {
	case KindBool:
		v, err = parseBool(args[0])
	case KindInt, KindMemory, KindOctal:
		v, err = parseNumber(d, args[0])
	case KindEnum:
		v, err = parseEnum(d, args)
	case KindString:
		if d.check != nil {
			err = d.check(st, args[0])
		}
		v = value{s: args[0]}
	}
	if err == nil && d.post != nil {
		v = d.post(v)
	}
	return v, err
}

func parseBool(s string) (value, error) {
	switch asciiLower(s) {
	case "yes":
		return value{s: "yes", n: 1}, nil
	case "no":
		return value{s: "no"}, nil
	}
	return value{}, errors.New("argument must be 'yes' or 'no'")
}

func parseNumber(d *Directive, s string) (value, error) {
	n, err := parseNumeric(d, s)
	if err != nil {
		return value{}, err
	}
	if err := checkBounds(d, n); err != nil {
		return value{}, err
	}
	return numberValue(d, n), nil
}

func numberValue(d *Directive, n int64) value {
	switch {
	case d.Percent && n < 0:
		return value{s: strconv.FormatInt(-n, 10) + "%", n: n}
	case d.Kind == KindMemory:
		return value{s: strconv.FormatUint(uint64(n), 10), n: n}
	case d.Kind == KindOctal:
		return value{s: strconv.FormatInt(n, 8), n: n}
	}
	return value{s: strconv.FormatInt(n, 10), n: n}
}

// parseNumeric reads s as Redis reads a numeric directive: memory values
// first, then percentages, octal numbers or strict decimal integers.
func parseNumeric(d *Directive, s string) (int64, error) {
	switch d.Kind {
	case KindMemory:
		if u, ok := parseMemory(s); ok {
			return int64(u), nil
		}
		if d.Percent {
			if len(s) > 1 && s[len(s)-1] == '%' {
				if n, ok := parseStrictInt(s[:len(s)-1]); ok && n >= 0 {
					return -n, nil
				}
			}
			return 0, errors.New("argument must be a memory or percent value")
		}
		return 0, errors.New("argument must be a memory value")
	case KindOctal:
		if n, rest, overflow := cStrtoll(s, 8); !overflow && rest == "" {
			return n, nil
		}
		return 0, errors.New("argument couldn't be parsed as an octal number")
	}
	if n, ok := parseStrictInt(s); ok {
		return n, nil
	}
	return 0, errors.New("argument couldn't be parsed into an integer")
}

func checkBounds(d *Directive, n int64) error {
	if d.unsigned {
		u, lo := uint64(n), uint64(d.Min)
		if u > d.Max || u < lo {
			if d.Kind == KindOctal {
				return fmt.Errorf("argument must be between %o and %o inclusive", lo, d.Max)
			}
			return fmt.Errorf("argument must be between %d and %d inclusive", lo, d.Max)
		}
		return nil
	}
	if d.Percent && n < 0 {
		if n < d.Min {
			return fmt.Errorf("percentage argument must be less or equal to %d", -d.Min)
		}
		return nil
	}
	if n < d.Min || n > int64(d.Max) {
		return fmt.Errorf("argument must be between %d and %d inclusive", d.Min, int64(d.Max))
	}
	return nil
}

func clampHz(v value) value {
	// Redis takes any hz but clamps it to 1..500.
	n := min(max(v.n, 1), 500)
	return value{s: strconv.FormatInt(n, 10), n: n}
}

func parseEnum(d *Directive, args []string) (value, error) {
	flags := 0
	ok := len(args) > 0 && (d.MultiArg || len(args) == 1)
	for _, a := range args {
		if !ok {
			break
		}
		ok = false
		for i, name := range d.Enum {
			if strings.EqualFold(name, a) {
				flags |= d.enumVals[i]
				ok = true
				break
			}
		}
	}
	if !ok {
		return value{}, errors.New("argument(s) must be one of the following: " + strings.Join(d.Enum, ", "))
	}
	if d.MultiArg && flags&3 == 3 {
		// shutdown-on-sigint and shutdown-on-sigterm.
		return value{}, errors.New("shutdown options SAVE and NOSAVE can't be used simultaneously")
	}
	return value{s: enumName(d, flags), n: int64(flags)}, nil
}

// enumName prints an enum value as Redis does: the first entry with that
// exact value, else for flag sets the names of the bits it covers.
func enumName(d *Directive, flags int) string {
	var names []string
	left := flags
	for i, v := range d.enumVals {
		if v == flags {
			return d.Enum[i]
		}
		if d.MultiArg && v != 0 && v == left&v {
			names = append(names, d.Enum[i])
			left &^= v
		}
	}
	if len(names) == 0 || left != 0 {
		return "unknown"
	}
	return strings.Join(names, " ")
}

// parseStrictInt parses a decimal int64 as Redis's string2ll: no spaces,
// no plus sign, no leading zeros, no "-0".
func parseStrictInt(s string) (int64, bool) {
	if s == "0" {
		return 0, true
	}
	neg := strings.HasPrefix(s, "-")
	digits := s
	if neg {
		digits = s[1:]
	}
	if digits == "" || digits[0] < '1' || digits[0] > '9' {
		return 0, false
	}
	var u uint64
	for i := 0; i < len(digits); i++ {
		c := digits[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		if u > (math.MaxUint64-9)/10 {
			return 0, false
		}
		u = u*10 + uint64(c-'0')
	}
	if neg {
		if u > 1<<63 {
			return 0, false
		}
		return int64(-u), true
	}
	if u > math.MaxInt64 {
		return 0, false
	}
	return int64(u), true
}

// cStrtoll mimics C's strtoll(s, &end, base) followed by a look at *end:
// it skips leading white space, takes a sign and digits, and returns the
// value, the unparsed rest (all of s when there are no digits) and
// whether the value overflowed (it is then saturated).
func cStrtoll(s string, base int) (n int64, rest string, overflow bool) {
	i := 0
	for i < len(s) && isCSpace(s[i]) {
		i++
	}
	neg := false
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		neg = s[i] == '-'
		i++
	}
	start := i
	var u uint64
	limit := uint64(math.MaxInt64)
	if neg {
		limit++
	}
	for ; i < len(s); i++ {
		d := int(s[i]) - '0'
		if d < 0 || d >= base {
			break
		}
		if !overflow {
			if u > (limit-uint64(d))/uint64(base) {
				overflow = true
			} else {
				u = u*uint64(base) + uint64(d)
			}
		}
	}
	if i == start {
		return 0, s, false
	}
	if overflow {
		u = limit
	}
	if neg {
		return int64(-u), s[i:], overflow
	}
	return int64(u), s[i:], overflow
}

// isCSpace is C's isspace in the C locale.
func isCSpace(c byte) bool {
	return c == ' ' || (c >= '\t' && c <= '\r')
}

// parseMemory reads a byte count with an optional unit as Redis's
// memtoull: b, k, kb, m, mb, g, gb in any case; k, m and g are powers of
// 1000, kb, mb and gb of 1024. Digits only, no sign; an empty number is 0.
// Too many digits saturate and the unit multiplication wraps, as in Redis.
func parseMemory(s string) (uint64, bool) {
	if strings.HasPrefix(s, "-") {
		return 0, false
	}
	u := 0
	for u < len(s) && s[u] >= '0' && s[u] <= '9' {
		u++
	}
	var mul uint64
	switch asciiLower(s[u:]) {
	case "", "b":
		mul = 1
	case "k":
		mul = 1000
	case "kb":
		mul = 1024
	case "m":
		mul = 1000 * 1000
	case "mb":
		mul = 1024 * 1024
	case "g":
		mul = 1000 * 1000 * 1000
	case "gb":
		mul = 1024 * 1024 * 1024
	default:
		return 0, false
	}
	if u >= 128 {
		return 0, false
	}
	var n uint64
	for i := 0; i < u; i++ {
		d := uint64(s[i] - '0')
		if n > (math.MaxUint64-d)/10 {
			n = math.MaxUint64
			break
		}
		n = n*10 + d
	}
	return n * mul, true
}

// ParseMemory reads a redis.conf memory value such as 1gb, 512mb, 100k or
// 1024; see KindMemory for the units.
func ParseMemory(s string) (uint64, error) {
	n, ok := parseMemory(s)
	if !ok {
		return 0, fmt.Errorf("config: %q is not a memory value", s)
	}
	return n, nil
}

// formatMemory writes a byte count with the largest unit that divides it
// exactly, as CONFIG REWRITE does.
func formatMemory(n uint64) string {
	switch {
	case n != 0 && n%(1<<30) == 0:
		return strconv.FormatUint(n>>30, 10) + "gb"
	case n != 0 && n%(1<<20) == 0:
		return strconv.FormatUint(n>>20, 10) + "mb"
	case n != 0 && n%(1<<10) == 0:
		return strconv.FormatUint(n>>10, 10) + "kb"
	}
	return strconv.FormatUint(n, 10)
}

// --- string checks ---

func isBaseName(s string) bool {
	return !strings.ContainsAny(s, "/\\")
}

func checkDBFilename(_ *setState, v string) error {
	if !isBaseName(v) {
		return errors.New("dbfilename can't be a path, just a filename")
	}
	return nil
}

func checkAOFFilename(_ *setState, v string) error {
	if v == "" {
		return errors.New("appendfilename can't be empty")
	}
	if !isBaseName(v) {
		return errors.New("appendfilename can't be a path, just a filename")
	}
	return nil
}

func checkAOFDirname(_ *setState, v string) error {
	if v == "" {
		return errors.New("appenddirname can't be empty")
	}
	if !isBaseName(v) {
		return errors.New("appenddirname can't be a path, just a dirname")
	}
	return nil
}

func checkHostname(_ *setState, v string) error {
	if len(v) >= 256 {
		return errors.New("Hostnames must be less than 256 characters")
	}
	for i := 0; i < len(v); i++ {
		c := v[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '.') {
			return errors.New("Hostnames may only contain alphanumeric characters, hyphens or dots")
		}
	}
	return nil
}

// checkProcTitle expands the template as Redis validates it: the title is
// empty, unknown variables or an unterminated "{" are errors, and the
// expansion must not be blank.
func checkProcTitle(st *setState, v string) error {
	bad := errors.New("template format is invalid or contains unknown variables")
	var out strings.Builder
	for p := v; p != ""; {
		i := strings.IndexByte(p, '{')
		if i < 0 {
			out.WriteString(p)
			break
		}
		out.WriteString(p[:i])
		p = p[i+1:]
		if p == "" {
			return bad
		}
		if p[0] == '{' { // "{{" is a literal brace
			out.WriteByte('{')
			p = p[1:]
			continue
		}
		j := strings.IndexByte(p, '}')
		if j < 0 {
			return bad
		}
		switch p[:j] {
		case "title", "server-mode", "config-file":
			// empty while validating (no cluster mode, no title)
		case "listen-addr", "port", "tls-port":
			out.WriteString("x")
		case "unixsocket":
			out.WriteString(st.get("unixsocket").s)
		default:
			return bad
		}
		p = p[j+1:]
	}
	if strings.Trim(out.String(), " ") == "" {
		return bad
	}
	return nil
}

func checkMetricsAddr(_ *setState, v string) error {
	if v == "" {
		return nil
	}
	if _, _, err := net.SplitHostPort(v); err != nil {
		return errors.New("metrics-addr must be host:port")
	}
	return nil
}

// --- special directives ---

func parseBind(_ *setState, _ *Directive, _ value, args []string) (value, error) {
	if len(args) > 16 {
		return value{}, errors.New("Too many bind addresses specified.")
	}
	if len(args) == 1 && args[0] == "" {
		args = nil
	}
	list := append([]string(nil), args...)
	return value{s: strings.Join(list, " "), list: list}, nil
}

// parseDir resolves a directory as chdir would, relative to the current
// dir, and prints it as getcwd would (absolute, symlinks resolved). The
// process's working directory is never changed.
func parseDir(st *setState, _ *Directive, cur value, args []string) (value, error) {
	if len(args) != 1 {
		return value{}, errors.New("wrong number of arguments")
	}
	p := args[0]
	if p == "" {
		return value{}, errors.New(errnoText(syscall.ENOENT))
	}
	if !filepath.IsAbs(p) {
		p = filepath.Join(cur.s, p)
	}
	resolved, err := filepath.EvalSymlinks(p)
	if err == nil {
		var fi os.FileInfo
		if fi, err = os.Stat(resolved); err == nil && !fi.IsDir() {
			err = syscall.ENOTDIR
		}
	}
	if err != nil {
		return value{}, errors.New(errnoText(err))
	}
	return value{s: filepath.Clean(resolved)}, nil
}

// errnoText prints an OS error as C's strerror does.
func errnoText(err error) string {
	var errno syscall.Errno
	if errors.As(err, &errno) {
		s := errno.Error()
		if s != "" {
			return strings.ToUpper(s[:1]) + s[1:]
		}
	}
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

type savePoint struct {
	seconds int64
	changes int32
}

func parseSavePoints(s string) []savePoint {
	f := strings.Fields(s)
	out := make([]savePoint, 0, len(f)/2)
	for i := 0; i+1 < len(f); i += 2 {
		sec, _ := strconv.ParseInt(f[i], 10, 64)
		ch, _ := strconv.ParseInt(f[i+1], 10, 32)
		out = append(out, savePoint{sec, int32(ch)})
	}
	return out
}

func formatSavePoints(ps []savePoint) string {
	var b strings.Builder
	for i, p := range ps {
		if i > 0 {
			b.WriteByte(' ')
		}
		fmt.Fprintf(&b, "%d %d", p.seconds, p.changes)
	}
	return b.String()
}

// parseSave handles "save <seconds> <changes> [...]". At runtime it
// replaces the save points. In a config file the first save line drops
// the defaults and later ones add to it; save "" always empties the list.
func parseSave(st *setState, _ *Directive, cur value, args []string) (value, error) {
	reset := false
	if len(args) == 1 && args[0] == "" {
		reset = true
		args = nil
	}
	bad := errors.New("Invalid save parameters")
	if len(args)%2 != 0 {
		return value{}, bad
	}
	var add []savePoint
	for j := 0; j < len(args); j += 2 {
		sec, rest, _ := cStrtoll(args[j], 10)
		if rest != "" || sec < 1 {
			return value{}, bad
		}
		ch, rest, _ := cStrtoll(args[j+1], 10)
		if rest != "" || ch < 0 {
			return value{}, bad
		}
		add = append(add, savePoint{sec, int32(ch)}) // Redis keeps changes in a C int
	}
	if !st.loading {
		reset = true
	} else if st.saveLoaded != nil && !*st.saveLoaded {
		*st.saveLoaded = true
		reset = true
	}
	var ps []savePoint
	if !reset {
		ps = parseSavePoints(cur.s)
	}
	ps = append(ps, add...)
	return value{s: formatSavePoints(ps)}, nil
}

// BufferLimit is one client class's output buffer limit.
type BufferLimit struct {
	Hard, Soft  uint64 // bytes, 0 = no limit
	SoftSeconds int64
}

var obufClasses = []string{"normal", "slave", "pubsub"}

func obufClass(name string) int {
	switch asciiLower(name) {
	case "normal":
		return 0
	case "slave", "replica":
		return 1
	case "pubsub":
		return 2
	case "master":
		return -2
	}
	return -1
}

func parseBufferLimits(s string) [3]BufferLimit {
	var out [3]BufferLimit
	f := strings.Fields(s)
	for i := 0; i+3 < len(f); i += 4 {
		c := obufClass(f[i])
		if c < 0 {
			continue
		}
		out[c].Hard, _ = strconv.ParseUint(f[i+1], 10, 64)
		out[c].Soft, _ = strconv.ParseUint(f[i+2], 10, 64)
		out[c].SoftSeconds, _ = strconv.ParseInt(f[i+3], 10, 64)
	}
	return out
}

func formatBufferLimits(l [3]BufferLimit) string {
	parts := make([]string, 0, 3)
	for i, c := range obufClasses {
		parts = append(parts, fmt.Sprintf("%s %d %d %d", c, l[i].Hard, l[i].Soft, l[i].SoftSeconds))
	}
	return strings.Join(parts, " ")
}

func parseClientOutputBufferLimit(_ *setState, _ *Directive, cur value, args []string) (value, error) {
	if len(args)%4 != 0 {
		return value{}, errors.New("Wrong number of arguments in buffer limit configuration.")
	}
	limits := parseBufferLimits(cur.s)
	next := limits
	for j := 0; j < len(args); j += 4 {
		c := obufClass(args[j])
		if c < 0 {
			return value{}, errors.New("Invalid client class specified in buffer limit configuration.")
		}
		hard, okH := parseMemory(args[j+1])
		soft, okS := parseMemory(args[j+2])
		secs, rest, _ := cStrtoll(args[j+3], 10)
		secs = int64(int32(secs)) // Redis keeps the seconds in a C int
		if !okH || !okS || secs < 0 || rest != "" {
			return value{}, errors.New("Error in hard, soft or soft_seconds setting in buffer limit configuration.")
		}
		next[c] = BufferLimit{hard, soft, secs}
	}
	return value{s: formatBufferLimits(next)}, nil
}

func parseOOMScoreAdjValues(_ *setState, _ *Directive, _ value, args []string) (value, error) {
	if len(args) != 3 {
		return value{}, errors.New("wrong number of arguments")
	}
	vals := make([]string, 3)
	for i, a := range args {
		n, rest, _ := cStrtoll(a, 10)
		if rest != "" || n < -2000 || n > 2000 {
			return value{}, errors.New("Invalid oom-score-adj-values, elements must be between -2000 and 2000.")
		}
		vals[i] = strconv.FormatInt(n, 10)
	}
	return value{s: strings.Join(vals, " ")}, nil
}

// Keyspace notification classes, as in notify-keyspace-events.
const (
	NotifyKeyspace = 1 << iota // K
	NotifyKeyevent             // E
	NotifyGeneric              // g
	NotifyString               // $
	NotifyList                 // l
	NotifySet                  // s
	NotifyHash                 // h
	NotifyZset                 // z
	NotifyExpired              // x
	NotifyEvicted              // e
	NotifyStream               // t
	NotifyKeyMiss              // m
	NotifyLoaded               // module key loaded (no letter)
	NotifyModule               // d
	NotifyNew                  // n

	// NotifyAll is what "A" stands for.
	NotifyAll = NotifyGeneric | NotifyString | NotifyList | NotifySet | NotifyHash | NotifyZset |
		NotifyExpired | NotifyEvicted | NotifyStream | NotifyModule
)

func parseNotify(_ *setState, _ *Directive, _ value, args []string) (value, error) {
	if len(args) != 1 {
		return value{}, errors.New("wrong number of arguments")
	}
	flags, err := NotifyFlags(args[0])
	if err != nil {
		return value{}, err
	}
	return value{s: notifyString(flags), n: int64(flags)}, nil
}

// NotifyFlags parses a notify-keyspace-events value into Notify* flags.
func NotifyFlags(s string) (int, error) {
	flags := 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case 'A':
			flags |= NotifyAll
		case 'g':
			flags |= NotifyGeneric
		case '$':
			flags |= NotifyString
		case 'l':
			flags |= NotifyList
		case 's':
			flags |= NotifySet
		case 'h':
			flags |= NotifyHash
		case 'z':
			flags |= NotifyZset
		case 'x':
			flags |= NotifyExpired
		case 'e':
			flags |= NotifyEvicted
		case 'K':
			flags |= NotifyKeyspace
		case 'E':
			flags |= NotifyKeyevent
		case 't':
			flags |= NotifyStream
		case 'm':
			flags |= NotifyKeyMiss
		case 'd':
			flags |= NotifyModule
		case 'n':
			flags |= NotifyNew
		default:
			return 0, errors.New("Invalid event class character. Use 'Ag$lshzxeKEtmdn'.")
		}
	}
	return flags, nil
}

// notifyString prints notification flags in Redis's canonical order.
// Note that, as in Redis, "n" is not printed when "A" is.
func notifyString(flags int) string {
	var b strings.Builder
	if flags&NotifyAll == NotifyAll {
		b.WriteByte('A')
	} else {
		for _, f := range []struct {
			bit int
			c   byte
		}{{NotifyGeneric, 'g'}, {NotifyString, '$'}, {NotifyList, 'l'}, {NotifySet, 's'}, {NotifyHash, 'h'},
			{NotifyZset, 'z'}, {NotifyExpired, 'x'}, {NotifyEvicted, 'e'}, {NotifyStream, 't'},
			{NotifyModule, 'd'}, {NotifyNew, 'n'}} {
			if flags&f.bit != 0 {
				b.WriteByte(f.c)
			}
		}
	}
	if flags&NotifyKeyspace != 0 {
		b.WriteByte('K')
	}
	if flags&NotifyKeyevent != 0 {
		b.WriteByte('E')
	}
	if flags&NotifyKeyMiss != 0 {
		b.WriteByte('m')
	}
	return b.String()
}

func parseReplicaof(_ *setState, _ *Directive, _ value, args []string) (value, error) {
	if len(args) != 2 {
		return value{}, errors.New("wrong number of arguments")
	}
	if strings.EqualFold(args[0], "no") && strings.EqualFold(args[1], "one") {
		return value{}, nil
	}
	port, rest, _ := cStrtoll(args[1], 10)
	if port < 0 || port > 65535 || rest != "" {
		return value{}, errors.New("Invalid master port")
	}
	return value{s: args[0] + " " + strconv.FormatInt(port, 10)}, nil
}

func parsePercentiles(_ *setState, _ *Directive, _ value, args []string) (value, error) {
	if len(args) == 1 && args[0] == "" {
		args = nil
	}
	out := make([]string, 0, len(args))
	for _, a := range args {
		f, ok := parseCDouble(a)
		if !ok {
			return value{}, errors.New("Invalid latency-tracking-info-percentiles parameters")
		}
		if f > 100 || f < 0 {
			return value{}, errors.New("latency-tracking-info-percentiles parameters should sit between [0.0,100.0]")
		}
		out = append(out, formatPercentile(f))
	}
	return value{s: strings.Join(out, " ")}, nil
}

// parseCDouble accepts what Redis's string2d accepts: strtod syntax over
// the whole string, no leading space, no NaN, no overflow, no underflow
// to zero.
func parseCDouble(s string) (float64, bool) {
	if s == "" || isCSpace(s[0]) || strings.ContainsRune(s, '_') {
		return 0, false
	}
	m := strings.ToLower(strings.TrimLeft(s, "+-"))
	hex := strings.HasPrefix(m, "0x")
	in := s
	if hex && !strings.Contains(m, "p") {
		in += "p0" // C accepts hex floats without a binary exponent
	}
	f, err := strconv.ParseFloat(in, 64)
	if err != nil || math.IsNaN(f) {
		return 0, false
	}
	if f == 0 && !hex {
		if i := strings.IndexByte(m, 'e'); i >= 0 {
			m = m[:i]
		}
		if strings.ContainsAny(m, "123456789") {
			return 0, false // underflow
		}
	}
	return f, true
}

// formatPercentile prints like C's "%f" with trailing zeros removed.
func formatPercentile(f float64) string {
	s := strconv.FormatFloat(f, 'f', 6, 64)
	if strings.Contains(s, ".") {
		s = strings.TrimRight(s, "0")
		s = strings.TrimSuffix(s, ".")
	}
	return s
}
