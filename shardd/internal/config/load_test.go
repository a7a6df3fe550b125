package config

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func writeFile(t *testing.T, path, text string) string {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func loadString(t *testing.T, text string) *Config {
	t.Helper()
	c := Default()
	if err := c.LoadString(text); err != nil {
		t.Fatalf("LoadString(%q): %v", text, err)
	}
	return c
}

func TestLoadString(t *testing.T) {
	tests := []struct {
		name, text string
		want       map[string]string
	}{
		{"basic", "port 7001\n# comment\n\n   bind 127.0.0.1 ::1  \r\n", map[string]string{"port": "7001", "bind": "127.0.0.1 ::1"}},
		{"case-insensitive names", "PORT 7002\nMaxMemory 1GB", map[string]string{"port": "7002", "maxmemory": "1073741824"}},
		{"quoted values", `requirepass "p a\x21s"` + "\nlogfile ''", map[string]string{"requirepass": "p a!s", "logfile": ""}},
		{"aliases", "slaveof 10.0.0.1 6380\nslave-read-only no\nlua-time-limit 100\nhash-max-ziplist-entries 7",
			map[string]string{"replicaof": "10.0.0.1 6380", "replica-read-only": "no", "busy-reply-threshold": "100",
				"hash-max-listpack-entries": "7", "slaveof": "10.0.0.1 6380"}},
		{"replicaof no one", "replicaof 1.2.3.4 1\nreplicaof NO ONE", map[string]string{"replicaof": ""}},
		{"first save replaces the defaults", "save 900 1", map[string]string{"save": "900 1"}},
		{"save lines add up", "save 900 1\nsave 300 10\nsave 60 10000 30 100000",
			map[string]string{"save": "900 1 300 10 60 10000 30 100000"}},
		{"save \"\" clears", "save 900 1\nsave \"\"", map[string]string{"save": ""}},
		{"save after clear", "save \"\"\nsave 10 1", map[string]string{"save": "10 1"}},
		{"save without arguments", "save 5 5\nsave", map[string]string{"save": "5 5"}},
		{"save quirks", "save +5 01\nsave 1 2147483648", map[string]string{"save": "5 1 1 -2147483648"}},
		{"bind replaces", "bind 127.0.0.1\nbind ::1 10.0.0.1", map[string]string{"bind": "::1 10.0.0.1"}},
		{"bind nothing", "bind", map[string]string{"bind": ""}},
		{"client-output-buffer-limit per class", "client-output-buffer-limit replica 1mb 2mb 10\nclient-output-buffer-limit Normal 1k 1 1",
			map[string]string{"client-output-buffer-limit": "normal 1000 1 1 slave 1048576 2097152 10 pubsub 33554432 8388608 60"}},
		{"hz clamp", "hz 1000", map[string]string{"hz": "500"}},
		{"hz clamp low", "hz 0", map[string]string{"hz": "1"}},
		{"notify", "notify-keyspace-events KEx", map[string]string{"notify-keyspace-events": "xKE"}},
		{"deprecated directives are ignored", "list-max-ziplist-entries 5\nlist-max-ziplist-value 5\nlua-replicate-commands yes",
			map[string]string{}},
		{"sentinel alone is ignored", "sentinel", map[string]string{}},
		{"multi enum", "shutdown-on-sigterm now NOSAVE", map[string]string{"shutdown-on-sigterm": "nosave now"}},
		{"percent", "maxmemory-clients 10%", map[string]string{"maxmemory-clients": "10%"}},
		{"octal", "unixsocketperm 700", map[string]string{"unixsocketperm": "700"}},
		{"shardis", "cluster-secret s3cret\nmetrics-addr 127.0.0.1:9121",
			map[string]string{"cluster-secret": "s3cret", "metrics-addr": "127.0.0.1:9121"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := loadString(t, tt.text)
			for name, want := range tt.want {
				if got := c.String(name); got != want {
					t.Errorf("%s = %q; want %q", name, got, want)
				}
			}
		})
	}
}

func TestLoadErrors(t *testing.T) {
	tests := []struct {
		text string
		line int
		msg  string
	}{
		{"port 1\nfoo bar", 2, "Bad directive or wrong number of arguments"},
		{"port 1 2", 1, "wrong number of arguments"},
		{"  PORT 7 # not a comment", 1, "wrong number of arguments"},
		{"port '1", 1, "Unbalanced quotes in configuration line"},
		{`port "1"x`, 1, "Unbalanced quotes in configuration line"},
		{"\n\nport 70000", 3, "argument must be between 0 and 65535 inclusive"},
		{"port abc", 1, "argument couldn't be parsed into an integer"},
		{"databases 0", 1, "argument must be between 1 and 2147483647 inclusive"},
		{"maxclients 0", 1, "argument must be between 1 and 4294967295 inclusive"},
		{"maxmemory -1", 1, "argument must be a memory value"},
		{"maxmemory-clients 101%", 1, "percentage argument must be less or equal to 100"},
		{"unixsocketperm 1000", 1, "argument must be between 0 and 777 inclusive"},
		{"unixsocketperm abc", 1, "argument couldn't be parsed as an octal number"},
		{"appendonly maybe", 1, "argument must be 'yes' or 'no'"},
		{"appendfsync sometimes", 1, "argument(s) must be one of the following: everysec, always, no"},
		{"enable-protected-configs maybe", 1, "argument(s) must be one of the following: no, yes, local"},
		{"shutdown-on-sigint save nosave", 1, "shutdown options SAVE and NOSAVE can't be used simultaneously"},
		{"save 1", 1, "Invalid save parameters"},
		{"save 0 1", 1, "Invalid save parameters"},
		{"replicaof 127.0.0.1 x", 1, "Invalid master port"},
		{"slaveof a", 1, "wrong number of arguments"},
		{"appendfilename a/b", 1, "appendfilename can't be a path, just a filename"},
		{`appendfilename ""`, 1, "appendfilename can't be empty"},
		{"appenddirname a/b", 1, "appenddirname can't be a path, just a dirname"},
		{"dbfilename a/b", 1, "dbfilename can't be a path, just a filename"},
		{"dir /nonexistent/really", 1, "No such file or directory"},
		{"notify-keyspace-events a b", 1, "wrong number of arguments"},
		{"notify-keyspace-events Q", 1, "Invalid event class character. Use 'Ag$lshzxeKEtmdn'."},
		{"client-output-buffer-limit master 0 0 0", 1, "Invalid client class specified in buffer limit configuration."},
		{"client-output-buffer-limit normal 0 0", 1, "Wrong number of arguments in buffer limit configuration."},
		{"client-output-buffer-limit normal 0 0 -1", 1, "Error in hard, soft or soft_seconds setting in buffer limit configuration."},
		{"oom-score-adj-values 0 1", 1, "wrong number of arguments"},
		{"oom-score-adj-values 0 1 3000", 1, "Invalid oom-score-adj-values, elements must be between -2000 and 2000."},
		{"latency-tracking-info-percentiles 101", 1, "latency-tracking-info-percentiles parameters should sit between [0.0,100.0]"},
		{"proc-title-template {bogus}", 1, "template format is invalid or contains unknown variables"},
		{"bind a b c d e f g h i j k l m n o p q", 1, "Too many bind addresses specified."},
		{"sentinel monitor x", 1, "sentinel directive while not in sentinel mode"},
		{"foo.bar", 1, "Module config specified without value"},
		{"list-max-ziplist-entries 1 2", 1, "Bad directive or wrong number of arguments"},
		{"rename-command GET", 1, "Bad directive or wrong number of arguments"},
		{"metrics-addr nonsense", 1, "metrics-addr must be host:port"},
	}
	for _, tt := range tests {
		err := Default().LoadString(tt.text)
		var fe *FileError
		if !errors.As(err, &fe) {
			t.Errorf("LoadString(%q) = %v; want a *FileError", tt.text, err)
			continue
		}
		if fe.Line != tt.line || fe.Msg != tt.msg {
			t.Errorf("LoadString(%q): line %d %q; want line %d %q", tt.text, fe.Line, fe.Msg, tt.line, tt.msg)
		}
		if wantText := strings.Trim(strings.Split(tt.text, "\n")[tt.line-1], " \t\r"); fe.Text != wantText {
			t.Errorf("LoadString(%q): text %q; want %q", tt.text, fe.Text, wantText)
		}
	}
}

func TestFileErrorReport(t *testing.T) {
	dir := t.TempDir()
	path := writeFile(t, filepath.Join(dir, "redis.conf"), "port 1\n\nfoo bar\n")
	_, err := Load(path, nil)
	var fe *FileError
	if !errors.As(err, &fe) {
		t.Fatalf("Load: %v; want *FileError", err)
	}
	if fe.File != path || fe.Line != 3 || fe.Text != "foo bar" {
		t.Errorf("got %+v", fe)
	}
	want := "*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***\nReading the configuration file " + path +
		", at line 3\n>>> 'foo bar'\nBad directive or wrong number of arguments\n"
	if got := fe.Report(); got != want {
		t.Errorf("Report() =\n%s\nwant\n%s", got, want)
	}
	if got := fe.Error(); !strings.Contains(got, "redis.conf:3") || !strings.HasPrefix(got, "config: ") {
		t.Errorf("Error() = %q", got)
	}

	_, err = Load(filepath.Join(dir, "missing.conf"), nil)
	if !errors.Is(err, fs.ErrNotExist) || !errors.As(err, &fe) || fe.Line != 0 {
		t.Errorf("missing file: %v; want *FileError wrapping fs.ErrNotExist", err)
	}
}

func TestInclude(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "base.conf"), "port 7001\nsave 900 1\n")
	writeFile(t, filepath.Join(dir, "sub", "inc.conf"), "hz 33\n")
	writeFile(t, filepath.Join(dir, "conf.d", "a.conf"), "maxclients 5\nsave 300 10\n")
	writeFile(t, filepath.Join(dir, "conf.d", "b.conf"), "maxclients 6\n")
	main := writeFile(t, filepath.Join(dir, "redis.conf"), strings.Join([]string{
		"include " + filepath.Join(dir, "base.conf"),
		"dir " + dir,
		"include conf.d/*.conf", // relative to dir, globbed, sorted
		"include nothing-*.conf",
		"dir sub", // relative to the current dir
		"include inc.conf",
		"port 7002", // a later line wins
	}, "\n"))
	c, err := Load(main, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"port": "7002", "save": "900 1 300 10", "maxclients": "6", "hz": "33", "dir": filepath.Join(dir, "sub"),
	}
	for name, w := range want {
		if got := c.String(name); got != w {
			t.Errorf("%s = %q; want %q", name, got, w)
		}
	}
	if c.File() != main {
		t.Errorf("File() = %q; want %q", c.File(), main)
	}

	// Redis 7.0 quirk: after an include, save lines (overrides included)
	// replace the save points instead of adding to them.
	quirk := writeFile(t, filepath.Join(dir, "quirk.conf"), "save 900 1\ninclude "+filepath.Join(dir, "base.conf")+"\nsave 300 10\nsave 60 5\n")
	c, err = Load(quirk, []Override{{"save", []string{"1", "1"}}})
	if err != nil {
		t.Fatal(err)
	}
	if got := c.String("save"); got != "1 1" {
		t.Errorf("save after include = %q; want %q", got, "1 1")
	}
	writeFile(t, filepath.Join(dir, "inc-save.conf"), "save 1 1\n")
	c = loadString(t, "dir "+dir+"\nsave 900 1\ninclude inc-save.conf")
	if got := c.String("save"); got != "900 1 1 1" {
		t.Errorf("save in an included file = %q; want %q", got, "900 1 1 1")
	}

	// Errors in included files report the included file.
	bad := writeFile(t, filepath.Join(dir, "bad.conf"), "\nnope\n")
	writeFile(t, filepath.Join(dir, "top.conf"), "include "+bad)
	_, err = Load(filepath.Join(dir, "top.conf"), nil)
	var fe *FileError
	if !errors.As(err, &fe) || fe.File != bad || fe.Line != 2 {
		t.Errorf("include error = %v; want line 2 of %s", err, bad)
	}
	_, err = Load(writeFile(t, filepath.Join(dir, "missing.conf"), "include /does/not/exist.conf"), nil)
	if !errors.As(err, &fe) || !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing include = %v", err)
	}
	writeFile(t, filepath.Join(dir, "loop.conf"), "include loop.conf")
	c = Default()
	if err := c.LoadString("dir " + dir + "\ninclude loop.conf"); err == nil || !strings.Contains(err.Error(), "too deep") {
		t.Errorf("include loop = %v", err)
	}
}

func TestExtras(t *testing.T) {
	c := loadString(t, "rename-command CONFIG \"\"\nuser alice on >pw ~* +@all\nloadmodule /m.so a b\nmymod.opt 5")
	got := c.Extras()
	want := [][]string{
		{"rename-command", "CONFIG", ""},
		{"user", "alice", "on", ">pw", "~*", "+@all"},
		{"loadmodule", "/m.so", "a", "b"},
		{"mymod.opt", "5"},
	}
	if len(got) != len(want) {
		t.Fatalf("Extras() = %+v", got)
	}
	for i := range want {
		if !reflect.DeepEqual(got[i].Args, want[i]) || got[i].Line != i+1 {
			t.Errorf("extra %d = %+v; want %q at line %d", i, got[i], want[i], i+1)
		}
	}
}

func TestParseArgs(t *testing.T) {
	tests := []struct {
		args []string
		path string
		want []Override
	}{
		{nil, "", nil},
		{[]string{"/etc/redis.conf"}, "/etc/redis.conf", nil},
		{[]string{"redis.conf", "--port", "7001", "--bind", "127.0.0.1", "::1", "--save", ""}, "redis.conf",
			[]Override{{"port", []string{"7001"}}, {"bind", []string{"127.0.0.1", "::1"}}, {"save", []string{""}}}},
		{[]string{"--save", "900", "1", "300", "10", "--appendonly", "yes"}, "",
			[]Override{{"save", []string{"900", "1", "300", "10"}}, {"appendonly", []string{"yes"}}}},
		{[]string{"--port 7001", "--hz", "20"}, "", []Override{{"port", []string{"7001"}}, {"hz", []string{"20"}}}},
		{[]string{"--port 7001", "x"}, "", []Override{{"port", []string{"7001", "x"}}}},
		// An option alone takes the next argument, even one with "--".
		{[]string{"--requirepass", "--secret", "--port", "1"}, "",
			[]Override{{"requirepass", []string{"--secret"}}, {"port", []string{"1"}}}},
		// ...except --save, which then means save "".
		{[]string{"--save", "--port", "1"}, "", []Override{{"save", []string{""}}, {"port", []string{"1"}}}},
		{[]string{"--port", "1", "--save"}, "", []Override{{"port", []string{"1"}}, {"save", []string{""}}}},
		{[]string{"--maxmemory"}, "", []Override{{"maxmemory", []string{}}}},
	}
	for _, tt := range tests {
		path, got, err := ParseArgs(tt.args)
		if err != nil || path != tt.path || !reflect.DeepEqual(got, tt.want) && !(len(got) == 0 && len(tt.want) == 0) {
			t.Errorf("ParseArgs(%q) = %q, %+v, %v; want %q, %+v", tt.args, path, got, err, tt.path, tt.want)
		}
	}
	for _, args := range [][]string{{"-"}, {"--port", "1", "-"}} {
		if _, _, err := ParseArgs(args); !errors.Is(err, ErrStdinConfig) {
			t.Errorf("ParseArgs(%q) error = %v; want ErrStdinConfig", args, err)
		}
	}
}

func TestLoadOverrides(t *testing.T) {
	dir := t.TempDir()
	path := writeFile(t, filepath.Join(dir, "redis.conf"), "port 7000\nsave 900 1\nbind 10.0.0.1\n")
	_, ov, err := ParseArgs([]string{path, "--port", "7001", "--save", "60", "5", "--bind", "127.0.0.1", "--MAXMEMORY", "2mb"})
	if err != nil {
		t.Fatal(err)
	}
	c, err := Load(path, ov)
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]string{"port": "7001", "save": "900 1 60 5", "bind": "127.0.0.1", "maxmemory": "2097152"} {
		if got := c.String(name); got != want {
			t.Errorf("%s = %q; want %q", name, got, want)
		}
	}

	_, err = Load("", []Override{{"port", []string{"1"}}, {"port", []string{"0", "x"}}})
	var fe *FileError
	if !errors.As(err, &fe) || fe.File != CommandLine || fe.Line != 2 || fe.Text != `port "0" "x"` ||
		fe.Msg != "wrong number of arguments" {
		t.Errorf("bad override: %v", err)
	}
	if !strings.Contains(fe.Report(), "Reading the command line, at line 2") {
		t.Errorf("Report() = %q", fe.Report())
	}
}
