package engine

func connectionCommands() map[string]handler {
	return map[string]handler{
		"ping":   cmdPing,
		"echo":   cmdEcho,
		"quit":   cmdQuit,
		"select": cmdSelect,
		"auth":   cmdAuth,
		"hello":  cmdHello,
	}
}

func cmdPing(x *Ctx) {
	switch len(x.args) {
	case 1:
		x.r.Simple("PONG")
	case 2:
		x.r.Bulk(x.args[1])
	default:
		x.r.Err(errArity("ping"))
	}
}

func cmdEcho(x *Ctx) { x.r.Bulk(x.args[1]) }

func cmdQuit(x *Ctx) {
	x.r.OK()
	x.s.quit = true
}

func cmdSelect(x *Ctx) {
	n, err := parseInt(x.args[1])
	if err != nil {
		x.r.Error("ERR value is not an integer or out of range")
		return
	}
	if n < 0 || n >= int64(x.e.ks.Databases()) {
		x.r.Err(ErrDBIndex)
		return
	}
	x.s.selectDB(int(n))
	x.r.OK()
}

// checkPassword applies AUTH's rules: only the "default" user exists, and
// it has the requirepass password (or none).
func (x *Ctx) checkPassword(user, pass []byte) bool {
	want := *x.e.requirepass.Load()
	if user != nil && string(user) != "default" {
		return false
	}
	if want == "" {
		return true
	}
	return string(pass) == want
}

func cmdAuth(x *Ctx) {
	var user, pass []byte
	switch len(x.args) {
	case 2:
		pass = x.args[1]
		if *x.e.requirepass.Load() == "" {
			x.r.Error("ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?")
			return
		}
	case 3:
		user, pass = x.args[1], x.args[2]
	default:
		x.r.Err(ErrSyntax)
		return
	}
	if !x.checkPassword(user, pass) {
		x.r.Error("WRONGPASS invalid username-password pair or user is disabled.")
		return
	}
	x.s.authed = true
	x.r.OK()
}

// cmdHello negotiates the protocol: HELLO [protover [AUTH user pass]
// [SETNAME name]].
func cmdHello(x *Ctx) {
	proto := x.s.proto
	args := x.args[1:]
	if len(args) > 0 {
		v, err := parseInt(args[0])
		if err != nil {
			x.r.Error("ERR Protocol version is not an integer or out of range")
			return
		}
		if v != 2 && v != 3 {
			x.r.Error("NOPROTO unsupported protocol version")
			return
		}
		proto = int(v)
		args = args[1:]
	}
	var name []byte
	authed := x.s.authed
	for len(args) > 0 {
		switch {
		case equalFold(args[0], "auth") && len(args) >= 3:
			if !x.checkPassword(args[1], args[2]) {
				x.r.Error("WRONGPASS invalid username-password pair or user is disabled.")
				return
			}
			authed = true
			args = args[3:]
		case equalFold(args[0], "setname") && len(args) >= 2:
			if err := validClientName(args[1]); err != nil {
				x.r.Err(err)
				return
			}
			name = args[1]
			args = args[2:]
		default:
			x.r.Error("ERR Syntax error in HELLO option '" + string(args[0]) + "'")
			return
		}
	}
	if !authed && *x.e.requirepass.Load() != "" {
		x.r.Error("NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO <proto> AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time")
		return
	}
	x.s.authed = authed
	if name != nil {
		x.s.setName(string(name))
	}
	x.s.proto = proto
	x.r.proto = proto
	x.r.Map(7)
	x.r.BulkString("server")
	x.r.BulkString("redis")
	x.r.BulkString("version")
	x.r.BulkString(RedisVersion)
	x.r.BulkString("proto")
	x.r.Int(int64(proto))
	x.r.BulkString("id")
	x.r.Int(x.s.ID)
	x.r.BulkString("mode")
	x.r.BulkString("standalone")
	x.r.BulkString("role")
	x.r.BulkString("master")
	x.r.BulkString("modules")
	x.r.Array(0)
}

// validClientName enforces Redis's rule: no spaces, newlines or other
// characters outside '!'..'~'.
func validClientName(b []byte) error {
	for _, c := range b {
		if c < '!' || c > '~' {
			return simpleError("ERR Client names cannot contain spaces, newlines or special characters.")
		}
	}
	return nil
}

// RedisVersion is the Redis version shardd reports (HELLO, INFO), so that
// clients enable the features of the Redis it emulates.
const RedisVersion = "7.0.15"

// Version is shardd's own version, set at build time with -ldflags.
var Version = "dev"
