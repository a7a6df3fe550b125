package engine

import (
	"errors"
	"io/fs"
	"strings"

	"github.com/shardis/shardis/shardd/internal/config"
)

// cmdConfigGet is CONFIG GET pattern [pattern ...]: a map of the matching
// directives.
func cmdConfigGet(x *Ctx) {
	patterns := make([]string, len(x.args)-2)
	for i, a := range x.args[2:] {
		patterns[i] = string(a)
	}
	pairs := x.e.cfg.Get(patterns...)
	x.r.Map(len(pairs))
	for _, p := range pairs {
		x.r.BulkString(p.Name)
		x.r.BulkString(p.Value)
	}
}

// cmdConfigSet is CONFIG SET name value [name value ...]: all pairs are
// applied or none. The config package checks them and runs the change
// hooks; its errors are Redis's replies.
func cmdConfigSet(x *Ctx) {
	if len(x.args)%2 != 0 {
		x.r.Err(ErrSyntax)
		return
	}
	pairs := make([]config.Pair, 0, (len(x.args)-2)/2)
	for i := 2; i < len(x.args); i += 2 {
		pairs = append(pairs, config.Pair{Name: string(x.args[i]), Value: string(x.args[i+1])})
	}
	var err error
	if x.s.isLocal() {
		err = x.e.cfg.SetLocal(pairs...)
	} else {
		err = x.e.cfg.Set(pairs...)
	}
	if err != nil {
		var se *config.SetError
		if !errors.As(err, &se) {
			x.e.log.Warn("CONFIG SET failed", "err", err)
		}
		x.r.Error(errorLine(err.Error()))
		return
	}
	x.r.OK()
}

func cmdConfigResetStat(x *Ctx) {
	x.e.resetStats()
	x.r.OK()
}

// cmdConfigRewrite is CONFIG REWRITE: the running configuration is written
// to the file it was loaded from.
func cmdConfigRewrite(x *Ctx) {
	err := x.e.cfg.Rewrite(x.e.cfg.File())
	switch {
	case err == nil:
		x.e.log.Info("CONFIG REWRITE executed with success")
		x.r.OK()
	case errors.Is(err, config.ErrNoConfigFile):
		x.r.Err(config.ErrNoConfigFile)
	default:
		x.e.log.Warn("CONFIG REWRITE failed", "err", err)
		// Redis words it with strerror: "Permission denied".
		reason := err.Error()
		var pe *fs.PathError
		if errors.As(err, &pe) {
			reason = pe.Err.Error()
		}
		if reason != "" {
			reason = strings.ToUpper(reason[:1]) + reason[1:]
		}
		x.r.Error("ERR Rewriting config file: " + reason)
	}
}

func cmdConfigHelp(x *Ctx) {
	x.help("CONFIG",
		"GET <pattern> [<pattern> ...]",
		"    Return the parameters whose names match any of the glob-style patterns, with their values.",
		"SET <directive> <value> [<directive> <value> ...]",
		"    Change parameters at run time; either all changes apply or none does.",
		"RESETSTAT",
		"    Zero the statistics that INFO reports.",
		"REWRITE",
		"    Save the running configuration to the config file.",
	)
}

// errorLine makes text safe as a RESP error: one line.
func errorLine(s string) string {
	return strings.NewReplacer("\r", " ", "\n", " ").Replace(s)
}
