package engine

import "crypto/subtle"

// connectionCommands are the commands about the connection itself.
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
	if x.s.proto == 2 && x.s.subscribed() {
		// A RESP2 subscriber gets PING's answer in a message's shape.
		x.r.Array(2)
		x.r.BulkString("pong")
		if len(x.args) > 1 {
			x.r.Bulk(x.args[1])
		} else {
			x.r.BulkString("")
		}
		return
	}
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
		x.r.Err(ErrNotInt)
		return
	}
	if n < 0 || n >= int64(x.e.ks.Databases()) {
		x.r.Err(ErrDBIndex)
		return
	}
	x.s.selectDB(int(n))
	x.r.OK()
}

// internalUser is the user a proxy or shardis-meta authenticates as with
// the cluster secret to run SHARDIS.* commands.
const internalUser = "shardis"

// authenticate applies AUTH's rules and marks the session authenticated
// on success. Two users exist: "default", whose password is requirepass
// (or none), and, when a cluster secret is configured, "shardis", whose
// password is the secret and who may also run the internal commands.
func (x *Ctx) authenticate(user, pass []byte) bool {
	want := *x.e.requirepass.Load()
	internal := false
	switch {
	case user != nil && string(user) == internalUser && x.e.clusterSecret != "":
		want, internal = x.e.clusterSecret, true
	case user != nil && string(user) != "default":
		return false
	case want == "":
		x.s.authed = true
		return true
	}
	// In constant time, so that timing tells nothing about the password.
	if subtle.ConstantTimeCompare(pass, []byte(want)) != 1 {
		return false
	}
	x.s.authed = true
	x.s.internal = x.s.internal || internal
	return true
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
	if !x.authenticate(user, pass) {
		x.r.Error("WRONGPASS invalid username-password pair or user is disabled.")
		return
	}
	x.r.OK()
}

// cmdHello negotiates the protocol: HELLO [protover [AUTH user pass]
// [SETNAME name]]. As in Redis, the options are parsed first (the last
// AUTH and SETNAME win), then the client authenticates, then the name is
// checked: a bad name after a good AUTH leaves the client authenticated.
func cmdHello(x *Ctx) {
	proto := x.s.proto
	if len(x.args) > 1 {
		v, err := parseInt(x.args[1])
		if err != nil {
			x.r.Error("ERR Protocol version is not an integer or out of range")
			return
		}
		if v != 2 && v != 3 {
			x.r.Error("NOPROTO unsupported protocol version")
			return
		}
		proto = int(v)
	}
	var user, pass, name []byte
	for i := 2; i < len(x.args); i++ {
		more := len(x.args) - 1 - i
		switch {
		case equalFold(x.args[i], "auth") && more >= 2:
			user, pass = x.args[i+1], x.args[i+2]
			i += 2
		case equalFold(x.args[i], "setname") && more >= 1:
			name = x.args[i+1]
			i++
		default:
			x.r.Error("ERR Syntax error in HELLO option '" + string(x.args[i]) + "'")
			return
		}
	}
	if user != nil {
		if !x.authenticate(user, pass) {
			x.r.Error("WRONGPASS invalid username-password pair or user is disabled.")
			return
		}
	}
	if !x.s.authed && *x.e.requirepass.Load() != "" {
		x.r.Error("NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO <proto> AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time")
		return
	}
	if name != nil {
		if err := validClientName(name); err != nil {
			x.r.Err(err)
			return
		}
		x.s.setName(string(name))
	}
	x.s.setProto(proto)
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
