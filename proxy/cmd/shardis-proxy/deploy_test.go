package main

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// The proxy examples in deploy/ (at the repository root) are loaded here
// with loadConfig and the proxy's own flags, so that they cannot drift
// from what the proxy accepts.

const deployDir = "../../../deploy"

// proxyFlags returns a flag set with the names and types of the flags run
// defines, read from its --help output, so that a flag removed from run
// is also gone here. Flags whose type the help does not name as a Go type
// (config's is "name value") are strings.
func proxyFlags(t *testing.T) *flag.FlagSet {
	t.Helper()
	var help bytes.Buffer
	if code := run([]string{"--help"}, &help); code != 0 {
		t.Fatalf("--help: exit code %d", code)
	}
	fs := flag.NewFlagSet("shardis-proxy", flag.ContinueOnError)
	fs.SetOutput(&bytes.Buffer{})
	for l := range strings.SplitSeq(help.String(), "\n") {
		rest, ok := strings.CutPrefix(l, "  -")
		if !ok {
			continue
		}
		rest, _, _ = strings.Cut(rest, "\t")
		name, typ, _ := strings.Cut(strings.TrimSpace(rest), " ")
		switch typ {
		case "":
			fs.Bool(name, false, "")
		case "int":
			fs.Int(name, 0, "")
		case "duration":
			fs.Duration(name, 0, "")
		default:
			fs.String(name, "", "")
		}
	}
	if fs.Lookup("listen") == nil || fs.Lookup("config") == nil {
		t.Fatalf("cannot read the flags from --help:\n%s", help.String())
	}
	return fs
}

// loadDeploy loads a config file with loadConfig into the proxy's flags;
// set names the flags given on the command line.
func loadDeploy(t *testing.T, fs *flag.FlagSet, path string, set map[string]bool) {
	t.Helper()
	if err := loadConfig(fs, path, set); err != nil {
		t.Fatal(err)
	}
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

func TestDeployConfig(t *testing.T) {
	manifest, err := os.ReadFile(filepath.Join(deployDir, "kubernetes", "configmap.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	k8s := filepath.Join(t.TempDir(), "shardis-proxy.conf")
	if err := os.WriteFile(k8s, []byte(configMapFile(t, string(manifest), "shardis-proxy.conf")), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, path string
		// The systemd example holds etcd and the secret; in Kubernetes
		// they come from SHARDIS_ETCD and the command line.
		inFile bool
	}{
		{"deploy/shardis-proxy.conf", filepath.Join(deployDir, "shardis-proxy.conf"), true},
		{"deploy/kubernetes/configmap.yaml", k8s, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs := proxyFlags(t)
			loadDeploy(t, fs, tt.path, nil)
			get := func(name string) string { return fs.Lookup(name).Value.String() }
			if got, want := get("listen"), "0.0.0.0:6379"; got != want {
				t.Errorf("listen: got %q; want %q", got, want)
			}
			if get("metrics") == "" {
				t.Error("metrics is empty")
			}
			for _, name := range []string{"etcd", "cluster-secret"} {
				if got := get(name) != ""; got != tt.inFile {
					t.Errorf("%s set: got %v; want %v", name, got, tt.inFile)
				}
			}
		})
	}
}

// TestDeploySystemdUnits checks the proxy's ExecStart lines in
// deploy/systemd: flags the proxy accepts and a config file from deploy/
// (shardd's units are checked in shardd/internal/config).
func TestDeploySystemdUnits(t *testing.T) {
	units, err := filepath.Glob(filepath.Join(deployDir, "systemd", "*.service"))
	if err != nil {
		t.Fatal(err)
	}
	found := 0
	for _, unit := range units {
		text, err := os.ReadFile(unit)
		if err != nil {
			t.Fatal(err)
		}
		for l := range strings.SplitSeq(string(text), "\n") {
			rest, ok := strings.CutPrefix(strings.TrimSpace(l), "ExecStart=/usr/local/bin/shardis-proxy")
			if !ok {
				continue
			}
			found++
			if strings.ContainsAny(rest, "\"'\\$%") {
				t.Errorf("%s: ExecStart uses syntax this test does not parse: %q", unit, l)
				continue
			}
			fs := proxyFlags(t)
			if err := fs.Parse(strings.Fields(rest)); err != nil || fs.NArg() > 0 {
				t.Errorf("%s: %v (arguments %q)", unit, err, fs.Args())
				continue
			}
			conf, ok := strings.CutPrefix(fs.Lookup("config").Value.String(), "/etc/shardis/")
			if !ok {
				t.Errorf("%s: want --config /etc/shardis/<a file of deploy/>", unit)
				continue
			}
			set := map[string]bool{}
			fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
			loadDeploy(t, fs, filepath.Join(deployDir, conf), set)
		}
	}
	if found == 0 {
		t.Error("no unit starts shardis-proxy")
	}
}
