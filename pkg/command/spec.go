package command

import (
	"fmt"
	"slices"
	"strings"
)

// Spec describes one Redis command or subcommand. Specs returned by this
// package are shared by every caller: treat them as read-only.
type Spec struct {
	// Name is lower case; a subcommand is named "parent|sub", e.g.
	// "config|get", as Redis 7 names them.
	Name string
	// Arity is Redis's arity: N means exactly N arguments including the
	// command name (and, for a subcommand, the subcommand name); -N means at
	// least N.
	Arity int
	Flags Flag
	// FirstKey, LastKey and Step are Redis's legacy key spec, as printed by
	// COMMAND INFO: keys are at FirstKey, FirstKey+Step, ... up to LastKey.
	// A negative LastKey counts from the end (-1 is the last argument, -2
	// the one before it). 0, 0, 0 means no keys.
	FirstKey, LastKey, Step int
	// KeysFunc finds the keys of a command whose key positions depend on its
	// arguments (a numkeys argument, a STORE option, ...). It returns the
	// positions in args of every key, in ascending order; it must tolerate
	// any args without panicking. nil means FirstKey/LastKey/Step say it all.
	// A non-nil KeysFunc makes COMMAND print the "movablekeys" flag.
	KeysFunc func(args [][]byte) []int
	// Group is Redis's command group as COMMAND DOCS prints it ("string",
	// "sorted-set", "server", ...).
	Group string
	// ACL lists Redis's ACL categories, without the '@', in Redis's order.
	ACL []string
	// Subcommands of a container command (CONFIG, CLIENT, OBJECT, ...).
	// A container's own Arity is -2.
	Subcommands []*Spec
	// Parent is the container of a subcommand, nil for a top-level command.
	Parent *Spec
}

// maxNameLen bounds the length of a top-level command name. Lookup lowers
// names into a stack buffer of this size, so it must hold every name.
const maxNameLen = 64

// registry indexes a command table. It is built once, when the package is
// initialised, and never changes afterwards, so it is safe for concurrent
// use without locking.
type registry struct {
	byName map[string]*Spec // lower-case top-level name -> spec
	sorted []*Spec          // top-level specs, sorted by name
}

var reg = newRegistry(table)

// newRegistry links subcommands to their parents, checks the table for
// programming errors (a duplicate or malformed name panics: the table is a
// literal, so this fails every test run at once) and indexes it.
func newRegistry(specs []*Spec) *registry {
	r := &registry{byName: make(map[string]*Spec, len(specs))}
	for _, s := range specs {
		if err := checkName(s.Name, ""); err != nil {
			panic(err)
		}
		if _, dup := r.byName[s.Name]; dup {
			panic(fmt.Sprintf("command: duplicate spec %q", s.Name))
		}
		r.byName[s.Name] = s
		subs := make(map[string]bool, len(s.Subcommands))
		for _, sub := range s.Subcommands {
			if err := checkName(sub.Name, s.Name); err != nil {
				panic(err)
			}
			if subs[sub.Name] {
				panic(fmt.Sprintf("command: duplicate spec %q", sub.Name))
			}
			subs[sub.Name] = true
			sub.Parent = s
		}
		r.sorted = append(r.sorted, s)
	}
	slices.SortFunc(r.sorted, func(a, b *Spec) int { return strings.Compare(a.Name, b.Name) })
	return r
}

func checkName(name, parent string) error {
	short := name
	if parent != "" {
		var ok bool
		short, ok = strings.CutPrefix(name, parent+"|")
		if !ok {
			return fmt.Errorf("command: subcommand %q is not named %q", name, parent+"|sub")
		}
	}
	if short == "" || len(short) > maxNameLen || strings.ContainsRune(short, '|') || strings.ToLower(short) != short {
		return fmt.Errorf("command: bad spec name %q", name)
	}
	return nil
}

// Lookup returns the spec of the top-level command name, compared without
// regard to ASCII case, or nil if the command is unknown. It does not
// allocate: it runs for every request.
func Lookup(name []byte) *Spec {
	if len(name) > maxNameLen {
		return nil
	}
	var buf [maxNameLen]byte
	lowerInto(buf[:], name)
	// The compiler turns a map index by string(bytes) into a lookup that
	// does not copy the bytes into a new string.
	return reg.byName[string(buf[:len(name)])]
}

// LookupFullName is Lookup for names as COMMAND INFO and COMMAND DOCS accept
// them: "parent|sub" names a subcommand.
func LookupFullName(name []byte) *Spec {
	for i, c := range name {
		if c == '|' {
			if parent := Lookup(name[:i]); parent != nil {
				return parent.Sub(name[i+1:])
			}
			return nil
		}
	}
	return Lookup(name)
}

// All returns the top-level specs sorted by name. The slice is the caller's;
// the specs are shared.
func All() []*Spec {
	return slices.Clone(reg.sorted)
}

// Sub returns the subcommand of s named name (without the "parent|"
// prefix), compared without regard to ASCII case, or nil if s has no such
// subcommand. It does not allocate.
func (s *Spec) Sub(name []byte) *Spec {
	if s == nil {
		return nil
	}
	for _, sub := range s.Subcommands {
		if equalFoldASCII(sub.Name[len(s.Name)+1:], name) {
			return sub
		}
	}
	return nil
}

// CheckArity reports whether argc arguments (counting the command name, and
// for a subcommand the subcommand name too) satisfy s.Arity. It is false
// for a nil spec.
func (s *Spec) CheckArity(argc int) bool {
	if s == nil {
		return false
	}
	if s.Arity >= 0 {
		return argc == s.Arity
	}
	return argc >= -s.Arity
}

// IsWrite reports whether the command may modify the keyspace. It is true
// for a nil spec: a router must treat an unknown command as a possible
// write (see the package documentation), so Lookup(name).IsWrite() is safe.
func (s *Spec) IsWrite() bool {
	return s == nil || s.Flags&Write != 0
}

// IsMovable reports whether the key positions depend on the arguments
// (COMMAND's "movablekeys").
func (s *Spec) IsMovable() bool {
	return s.KeysFunc != nil
}

// FlagNames returns the flags as COMMAND prints them, "movablekeys"
// included. The result is never nil.
func (s *Spec) FlagNames() []string {
	return s.Flags.appendNames(make([]string, 0, 8), s.IsMovable())
}

// ShortName returns the name with its parent's prefix removed for a
// subcommand ("get" for "config|get"), the name itself otherwise.
func (s *Spec) ShortName() string {
	if s.Parent == nil {
		return s.Name
	}
	return s.Name[len(s.Parent.Name)+1:]
}

// String returns the name.
func (s *Spec) String() string {
	return s.Name
}

// lowerInto writes the ASCII lower case of src into dst, which must be at
// least as long as src.
func lowerInto(dst, src []byte) {
	for i, c := range src {
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		dst[i] = c
	}
}

// equalFoldASCII reports whether lower (already lower case) equals b under
// ASCII case folding.
func equalFoldASCII(lower string, b []byte) bool {
	if len(lower) != len(b) {
		return false
	}
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if lower[i] != c {
			return false
		}
	}
	return true
}
