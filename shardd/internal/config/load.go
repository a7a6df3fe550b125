package config

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// CommandLine is the File of a FileError raised by a command-line override.
const CommandLine = "(command line)"

// maxIncludeDepth bounds nested include directives (Redis has no bound and
// overflows its stack on an include loop).
const maxIncludeDepth = 32

// ErrStdinConfig is returned by ParseArgs for "-", which makes
// redis-server read its configuration from standard input; shardd does
// not support that.
var ErrStdinConfig = errors.New("config: reading the configuration from stdin (\"-\") is not supported")

// FileError reports a bad line in a config file or a bad command-line
// override. Report prints it the way redis-server does before exiting.
type FileError struct {
	File string // the file (absolute when loaded by path), CommandLine, or "" for LoadString
	Line int    // 1-based; 0 when the file itself could not be read
	Text string // the line, trimmed
	Msg  string // Redis's reason, e.g. "Bad directive or wrong number of arguments"
	Err  error  // the underlying I/O error, if any
}

func (e *FileError) Error() string {
	if e.Line == 0 {
		return fmt.Sprintf("config: %s", e.Msg)
	}
	name := e.File
	if name == "" {
		name = "config"
	}
	return fmt.Sprintf("config: %s:%d: %s: %q", name, e.Line, e.Msg, e.Text)
}

func (e *FileError) Unwrap() error { return e.Err }

// Report returns the multi-line report redis-server prints on stderr for
// a bad config file.
func (e *FileError) Report() string {
	if e.Line == 0 {
		return e.Msg + "\n"
	}
	where := "the configuration file"
	if e.File == CommandLine {
		where = "the command line"
	} else if e.File != "" {
		where = "the configuration file " + e.File
	}
	return fmt.Sprintf("*** FATAL CONFIG FILE ERROR (Redis %s) ***\nReading %s, at line %d\n>>> '%s'\n%s\n",
		RedisVersion, where, e.Line, e.Text, e.Msg)
}

// Extra is a directive that redis.conf allows but that is not a setting:
// rename-command, user, loadmodule and module settings (names with a
// dot). They are kept, in order, for the server to act on or refuse.
type Extra struct {
	Args []string // the directive name (lower case) and its arguments
	File string
	Line int
}

// Override is one "--name value..." option of the command line.
type Override struct {
	Name string
	Args []string
}

// line is what gets reported about a directive in errors.
func (o Override) line() string {
	var b strings.Builder
	b.WriteString(o.Name)
	for _, a := range o.Args {
		b.WriteByte(' ')
		b.WriteString(Quote(a))
	}
	return b.String()
}

// ParseArgs reads a redis-server command line (os.Args[1:]): an optional
// config file path first (any argument not starting with "-"), then
// overrides such as --port 7001 --save "" --bind 127.0.0.1 ::1. An option
// takes every following argument up to the next one starting with "--";
// an option written with its value in one argument ("--port 7001") may be
// followed by values too. As in redis-server, an option given alone takes
// the next argument as its value even if it starts with "--" (so
// --requirepass --secret works), except that --save followed by another
// option, or last, means save "".
//
// -v, --version, -h and --help are not handled here: main checks them
// first. "-" (read the config from stdin) returns ErrStdinConfig.
func ParseArgs(args []string) (path string, overrides []Override, err error) {
	j := 0
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		path = args[0]
		j = 1
	}
	handled := true // the last option has its value
	for ; j < len(args); j++ {
		a := args[j]
		switch {
		case a == "-" && (j == 0 || j == len(args)-1):
			return "", nil, ErrStdinConfig
		case handled && strings.HasPrefix(a, "--"):
			toks, err := SplitArgs(a[2:])
			if err != nil {
				return "", nil, fmt.Errorf("config: option %q: %w", a, err)
			}
			o := Override{Args: []string{}}
			if len(toks) > 0 {
				o.Name, o.Args = toks[0], toks[1:]
			}
			if full, _ := SplitArgs(a); len(full) == 1 {
				// The option alone: the next argument is its value.
				handled = false
				last := j == len(args)-1
				if strings.EqualFold(a, "--save") && (last || strings.HasPrefix(args[j+1], "--")) {
					o.Args = append(o.Args, "")
					handled = true
				}
			}
			overrides = append(overrides, o)
		default:
			if len(overrides) == 0 {
				overrides = append(overrides, Override{Args: []string{}})
			}
			o := &overrides[len(overrides)-1]
			if o.Name == "" && len(o.Args) == 0 {
				// "--" gave no name: the first value becomes the name,
				// as when Redis re-reads the options as config text.
				o.Name = a
			} else {
				o.Args = append(o.Args, a)
			}
			handled = true
		}
	}
	// Drop options that ended up empty ("--" alone).
	out := overrides[:0]
	for _, o := range overrides {
		if o.Name != "" || len(o.Args) > 0 {
			out = append(out, o)
		}
	}
	return path, out, nil
}

// Load builds a configuration from the defaults, the config file at path
// (none when path is ""), then the command-line overrides, the way
// redis-server starts. Errors are *FileError.
func Load(path string, overrides []Override) (*Config, error) {
	c := Default()
	if path != "" {
		if err := c.LoadFile(path); err != nil {
			return nil, err
		}
	}
	if err := c.LoadOverrides(overrides); err != nil {
		return nil, err
	}
	return c, nil
}

// LoadFile reads a redis.conf file into c, as at startup: immutable
// directives are allowed and change hooks are not called. A relative path
// is taken from the process's working directory; File reports the
// absolute path afterwards. Errors are *FileError.
func (c *Config) LoadFile(path string) error {
	abs, err := filepath.Abs(path)
	if err != nil {
		return &FileError{File: path, Msg: fmt.Sprintf("can't open config file '%s': %v", path, err), Err: err}
	}
	c.setMu.Lock()
	defer c.setMu.Unlock()
	c.includeDone = false
	l := c.newLoader()
	err = l.file(abs, 0)
	l.commit()
	if err == nil {
		c.mu.Lock()
		c.file = abs
		c.mu.Unlock()
	}
	return err
}

// LoadString reads config text (redis.conf syntax) into c, as LoadFile.
// Errors are *FileError with an empty File.
func (c *Config) LoadString(text string) error {
	c.setMu.Lock()
	defer c.setMu.Unlock()
	c.includeDone = false
	l := c.newLoader()
	err := l.text("", text, 0)
	l.commit()
	return err
}

// LoadOverrides applies command-line overrides (from ParseArgs) to c, as
// LoadFile. Errors are *FileError with File CommandLine and the option's
// position as Line.
func (c *Config) LoadOverrides(overrides []Override) error {
	c.setMu.Lock()
	defer c.setMu.Unlock()
	l := c.newLoader()
	defer l.commit()
	// redis-server reads the overrides as the tail of the config file.
	l.st.loading = !c.includeDone
	for i, o := range overrides {
		args := append([]string{o.Name}, o.Args...)
		if o.Name == "" {
			args = o.Args
		}
		if err := l.directive(CommandLine, i+1, o.line(), args, 0); err != nil {
			return err
		}
	}
	return nil
}

// loader applies startup directives to a working copy of the values;
// commit publishes them. The caller holds setMu.
type loader struct {
	c      *Config
	st     *setState
	extras []Extra
}

func (c *Config) newLoader() *loader {
	c.mu.RLock()
	vals := append([]value(nil), c.vals...)
	extras := append([]Extra(nil), c.extras...)
	c.mu.RUnlock()
	return &loader{c: c, st: &setState{loading: true, saveLoaded: &c.saveLoaded, vals: vals}, extras: extras}
}

// commit publishes what was loaded, even after an error: the caller is
// expected to give up on the configuration anyway, like redis-server.
func (l *loader) commit() {
	l.c.mu.Lock()
	l.c.vals = l.st.vals
	l.c.extras = l.extras
	l.c.mu.Unlock()
}

// file loads one file; depth counts nested includes.
func (l *loader) file(path string, depth int) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return &FileError{File: path, Msg: fmt.Sprintf("Fatal error, can't open config file '%s': %s", path, errnoText(err)), Err: err}
	}
	return l.text(path, string(data), depth)
}

// text loads config text line by line, as Redis's loadServerConfigFromString.
func (l *loader) text(file, text string, depth int) error {
	l.st.loading = true
	for i, raw := range strings.Split(text, "\n") {
		line := strings.Trim(raw, " \t\r\n")
		if line == "" || line[0] == '#' {
			continue
		}
		args, err := SplitArgs(line)
		if err != nil {
			return &FileError{File: file, Line: i + 1, Text: line, Msg: "Unbalanced quotes in configuration line"}
		}
		if len(args) == 0 {
			continue
		}
		if err := l.directive(file, i+1, line, args, depth); err != nil {
			return err
		}
	}
	return nil
}

func (l *loader) directive(file string, n int, line string, args []string, depth int) error {
	fail := func(msg string) error { return &FileError{File: file, Line: n, Text: line, Msg: msg} }
	name := asciiLower(args[0])
	if idx, ok := byName[name]; ok {
		d := table[idx]
		if !d.MultiArg && len(args) != 2 {
			return fail("wrong number of arguments")
		}
		v, err := parseArgs(l.st, d, l.st.vals[idx], args[1:])
		if err != nil {
			return fail(err.Error())
		}
		l.st.vals[idx] = v
		return nil
	}
	for _, dep := range deprecatedDirectives {
		if name == dep && len(args) == 2 {
			return nil
		}
	}
	switch {
	case name == "include" && len(args) == 2:
		return l.include(file, n, line, args[1], depth)
	case name == "rename-command" && len(args) == 3,
		(name == "user" || name == "loadmodule") && len(args) >= 2:
		l.extra(file, n, name, args)
		return nil
	case strings.Contains(name, "."):
		if len(args) != 2 {
			return fail("Module config specified without value")
		}
		l.extra(file, n, name, args)
		return nil
	case name == "sentinel":
		if len(args) != 1 {
			return fail("sentinel directive while not in sentinel mode")
		}
		return nil
	}
	return fail("Bad directive or wrong number of arguments")
}

func (l *loader) extra(file string, n int, name string, args []string) {
	a := append([]string{name}, args[1:]...)
	l.extras = append(l.extras, Extra{Args: a, File: file, Line: n})
}

// include loads another file. A relative path is taken from the current
// dir, like Redis (whose working directory is dir). A path with * ? or [
// is a glob: every match is loaded in order, and no match is not an error.
func (l *loader) include(file string, n int, line, path string, depth int) error {
	if depth >= maxIncludeDepth {
		return &FileError{File: file, Line: n, Text: line, Msg: "include nesting too deep"}
	}
	if !filepath.IsAbs(path) {
		path = filepath.Join(l.st.get("dir").s, path)
	}
	matches := []string{path}
	if strings.ContainsAny(path, "*?[") {
		var err error
		if matches, err = filepath.Glob(path); err != nil {
			return &FileError{File: file, Line: n, Text: line, Msg: fmt.Sprintf("bad include pattern '%s'", path), Err: err}
		}
		if len(matches) == 0 {
			return nil
		}
	}
	for _, m := range matches {
		if err := l.file(m, depth+1); err != nil {
			return err
		}
	}
	// Redis 7.0 quirk, kept on purpose: once an included file is read,
	// Redis no longer knows it is reading a config file, so each later
	// save line (overrides included) replaces the save points instead of
	// adding to them.
	l.st.loading = false
	l.c.includeDone = true
	return nil
}
