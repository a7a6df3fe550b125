package config

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// The examples in deploy/ (at the repository root) are loaded here with
// the real loader, so that they cannot drift from what shardd accepts.

const deployDir = "../../../deploy"

// readDeploy returns the text of a file under deploy/.
func readDeploy(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(deployDir, filepath.FromSlash(name)))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// configMapFile returns the block scalar under key ("key: |") of a
// Kubernetes manifest, without its indentation.
func configMapFile(t *testing.T, manifest, key string) string {
	t.Helper()
	lines := strings.Split(manifest, "\n")
	start := slices.IndexFunc(lines, func(l string) bool { return strings.TrimSpace(l) == key+": |" })
	if start < 0 {
		t.Fatalf("no %q block in the manifest", key)
	}
	keyIndent := len(lines[start]) - len(strings.TrimLeft(lines[start], " "))
	indent := -1
	var b strings.Builder
	for _, l := range lines[start+1:] {
		n := len(l) - len(strings.TrimLeft(l, " "))
		if strings.TrimSpace(l) != "" && n <= keyIndent {
			break
		}
		if indent < 0 && strings.TrimSpace(l) != "" {
			indent = n
		}
		if len(l) >= indent && indent >= 0 {
			l = l[indent:]
		}
		b.WriteString(l + "\n")
	}
	return b.String()
}

// withTempDir replaces the path of every dir line of a config text by a
// temporary directory (dir must exist when it is loaded) and returns the
// new text and the paths it replaced, which must be absolute.
func withTempDir(t *testing.T, text string) (string, []string) {
	t.Helper()
	tmp := t.TempDir()
	var dirs []string
	lines := strings.Split(text, "\n")
	for i, l := range lines {
		args, err := SplitArgs(strings.TrimSpace(l))
		if err != nil || len(args) != 2 || asciiLower(args[0]) != "dir" {
			continue
		}
		if !filepath.IsAbs(args[1]) {
			t.Errorf("line %d: dir %q is not absolute", i+1, args[1])
		}
		dirs = append(dirs, args[1])
		lines[i] = "dir " + Quote(tmp)
	}
	return strings.Join(lines, "\n"), dirs
}

// loadDeploy loads a config text as shardd would, dir lines replaced, and
// checks that it validates and sets only effective directives.
func loadDeploy(t *testing.T, name, text string) (*Config, []string) {
	t.Helper()
	text, dirs := withTempDir(t, text)
	c := Default()
	if err := c.LoadString(text); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	if err := c.Validate(); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	for _, l := range strings.Split(text, "\n") {
		l = strings.TrimSpace(l)
		if l == "" || l[0] == '#' {
			continue
		}
		args, _ := SplitArgs(l)
		if d, ok := Lookup(args[0]); !ok || !d.Effective {
			t.Errorf("%s: %q has no effect in shardd; leave it out of the example", name, args[0])
		}
	}
	return c, dirs
}

func TestDeployShardConf(t *testing.T) {
	tests := []struct {
		name   string
		text   string
		secret bool // the file sets cluster-secret (else the command line does)
	}{
		{"deploy/shardd.conf", readDeploy(t, "shardd.conf"), true},
		{"deploy/kubernetes/configmap.yaml shardd.conf", configMapFile(t, readDeploy(t, "kubernetes/configmap.yaml"), "shardd.conf"), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, dirs := loadDeploy(t, tt.name, tt.text)
			if want := []string{"/var/lib/shardis/shardd"}; !slices.Equal(dirs, want) {
				t.Errorf("dir lines: got %q; want %q (the image's volume and the systemd unit's parent)", dirs, want)
			}
			if got := c.Int("port"); got != 7001 {
				t.Errorf("port: got %d; want 7001", got)
			}
			if !c.Bool("appendonly") || c.String("appendfsync") != "everysec" {
				t.Errorf("appendonly %v, appendfsync %q; want yes, everysec", c.Bool("appendonly"), c.String("appendfsync"))
			}
			if got := c.Int("timeout"); got != 0 {
				t.Errorf("timeout: got %d; want 0 (proxies keep idle connections)", got)
			}
			if got := c.BindAddrs(); !slices.Contains(got, "*") {
				t.Errorf("bind: got %q; want every address (*), for proxies on other machines", got)
			}
			if got := len(c.SaveParams()); got == 0 {
				t.Error("no save points")
			}
			if got := c.String("metrics-addr"); got == "" {
				t.Error("metrics-addr is empty")
			}
			if got := c.String("cluster-secret") != ""; got != tt.secret {
				t.Errorf("cluster-secret set: got %v; want %v", got, tt.secret)
			}
		})
	}
}

// deployBinaries are the binaries a unit may start.
var deployBinaries = []string{"/usr/local/bin/shardd", "/usr/local/bin/shardis-proxy", "/usr/local/bin/shardis-meta"}

// TestDeploySystemdUnits checks that every ExecStart of deploy/systemd
// runs one of the three binaries, that the configs it names under
// /etc/shardis are the ones in deploy/, and that shardd's command line
// loads. The proxy's flags are checked in proxy/cmd/shardis-proxy.
func TestDeploySystemdUnits(t *testing.T) {
	units, err := filepath.Glob(filepath.Join(deployDir, "systemd", "*.service"))
	if err != nil || len(units) == 0 {
		t.Fatalf("no units: %v", err)
	}
	for _, unit := range units {
		name := filepath.Base(unit)
		var execs []string
		for l := range strings.SplitSeq(readDeploy(t, "systemd/"+name), "\n") {
			if rest, ok := strings.CutPrefix(strings.TrimSpace(l), "ExecStart="); ok {
				execs = append(execs, rest)
			}
		}
		if len(execs) != 1 {
			t.Errorf("%s: %d ExecStart lines; want 1", name, len(execs))
			continue
		}
		// Instances are shard ports: %i is the only specifier used.
		line := strings.ReplaceAll(execs[0], "%i", "7001")
		if strings.ContainsAny(line, "\"'\\$%") {
			t.Errorf("%s: ExecStart %q uses syntax this test does not parse (quotes, escapes, variables, specifiers other than %%i)", name, execs[0])
			continue
		}
		args := strings.Fields(line)
		if !slices.Contains(deployBinaries, args[0]) {
			t.Errorf("%s: ExecStart runs %q; want one of %q", name, args[0], deployBinaries)
			continue
		}
		for _, a := range args[1:] {
			if p, ok := strings.CutPrefix(a, "/etc/shardis/"); ok {
				if _, err := os.Stat(filepath.Join(deployDir, p)); err != nil {
					t.Errorf("%s: %s is not an example in deploy/: %v", name, a, err)
				}
			}
		}
		if args[0] == "/usr/local/bin/shardd" {
			checkShardCommand(t, name, args[1:])
		}
	}
}

// checkShardCommand loads a shardd command line from a unit, with the
// config path taken from deploy/ and the directories replaced.
func checkShardCommand(t *testing.T, unit string, args []string) {
	t.Helper()
	path, overrides, err := ParseArgs(args)
	if err != nil {
		t.Fatalf("%s: %v", unit, err)
	}
	conf, _ := withTempDir(t, readDeploy(t, strings.TrimPrefix(path, "/etc/shardis/")))
	file := filepath.Join(t.TempDir(), "shardd.conf")
	if err := os.WriteFile(file, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	for i, o := range overrides {
		if o.Name == "dir" {
			if want := "/var/lib/shardis/shardd/7001"; len(o.Args) != 1 || o.Args[0] != want {
				t.Errorf("%s: --dir %q; want %s (its ReadWritePaths)", unit, o.Args, want)
			}
			overrides[i].Args = []string{t.TempDir()}
		}
	}
	c, err := Load(file, overrides)
	if err != nil {
		t.Fatalf("%s: %v", unit, err)
	}
	if err := c.Validate(); err != nil {
		t.Fatalf("%s: %v", unit, err)
	}
	if got := c.Int("port"); got != 7001 {
		t.Errorf("%s: port for instance 7001: got %d", unit, got)
	}
	if got, want := c.String("metrics-addr"), "0.0.0.0:17001"; got != want {
		t.Errorf("%s: metrics-addr for instance 7001: got %q; want %q", unit, got, want)
	}
}
