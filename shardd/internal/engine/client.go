package engine

import (
	"net"
	"strconv"
	"strings"
	"time"
)

// Client types, as CLIENT LIST TYPE and CLIENT KILL TYPE name them.
const (
	clientNormal = iota
	clientReplica
	clientPubSub
	clientMaster
)

// clientType parses a client type name; -1 if unknown.
func clientType(b []byte) int {
	switch {
	case equalFold(b, "normal"):
		return clientNormal
	case equalFold(b, "replica"), equalFold(b, "slave"):
		return clientReplica
	case equalFold(b, "pubsub"):
		return clientPubSub
	case equalFold(b, "master"):
		return clientMaster
	}
	return -1
}

// typeOf is the type of a session: shardd has no replication links, so a
// client is pubsub while it has subscriptions, normal otherwise.
func (s *Session) typeOf() int {
	if s.subs.Load()+s.psubs.Load()+s.ssubs.Load() > 0 {
		return clientPubSub
	}
	return clientNormal
}

func cmdClientID(x *Ctx) { x.r.Int(x.s.ID) }

func cmdClientSetName(x *Ctx) {
	if err := validClientName(x.args[2]); err != nil {
		x.r.Err(err)
		return
	}
	x.s.setName(string(x.args[2]))
	x.r.OK()
}

func cmdClientGetName(x *Ctx) {
	if n := x.s.Name(); n != "" {
		x.r.BulkString(n)
	} else {
		x.r.Null()
	}
}

func cmdClientInfo(x *Ctx) {
	b := x.appendClientInfo(nil, x.s)
	b = append(b, '\n')
	x.r.Verbatim(string(b))
}

// cmdClientList is CLIENT LIST [TYPE type | ID id ...].
func cmdClientList(x *Ctx) {
	var b []byte
	switch {
	case len(x.args) == 2:
		for _, s := range x.e.clients.snapshot() {
			b = append(x.appendClientInfo(b, s), '\n')
		}
	case len(x.args) == 4 && equalFold(x.args[2], "type"):
		t := clientType(x.args[3])
		if t < 0 {
			x.r.Error("ERR Unknown client type '" + string(x.args[3]) + "'")
			return
		}
		for _, s := range x.e.clients.snapshot() {
			if s.typeOf() == t {
				b = append(x.appendClientInfo(b, s), '\n')
			}
		}
	case len(x.args) > 3 && equalFold(x.args[2], "id"):
		// Every ID is checked before anything is listed; an ID may be
		// listed twice, as in Redis.
		ids := make([]int64, 0, len(x.args)-3)
		for _, a := range x.args[3:] {
			id, err := parseInt(a)
			if err != nil {
				x.r.Error("ERR Invalid client ID")
				return
			}
			ids = append(ids, id)
		}
		for _, id := range ids {
			if s := x.e.clients.get(id); s != nil && !s.closed.Load() {
				b = append(x.appendClientInfo(b, s), '\n')
			}
		}
	default:
		x.r.Err(ErrSyntax)
		return
	}
	x.r.Verbatim(string(b))
}

// appendClientInfo appends s's CLIENT LIST line, in Redis 7.0's format.
// Figures shardd does not track (buffers, memory) are what an idle
// redis-server client shows, and for the calling client what a client
// running this command shows.
func (x *Ctx) appendClientInfo(b []byte, s *Session) []byte {
	now := time.Now()
	self := s == x.s
	field := func(name string) {
		if len(b) > 0 && b[len(b)-1] != '\n' {
			b = append(b, ' ')
		}
		b = append(b, name...)
		b = append(b, '=')
	}
	num := func(name string, n int64) {
		field(name)
		b = strconv.AppendInt(b, n, 10)
	}
	str := func(name, v string) {
		field(name)
		b = append(b, v...)
	}
	num("id", s.ID)
	str("addr", s.Addr)
	str("laddr", s.LocalAddr)
	num("fd", int64(s.fd))
	str("name", s.Name())
	num("age", int64(now.Sub(s.Created)/time.Second))
	num("idle", max(0, (now.UnixMilli()-s.lastActivity.Load())/1000))
	str("flags", s.flags())
	num("db", int64(s.dbShared.Load()))
	num("sub", int64(s.subs.Load()))
	num("psub", int64(s.psubs.Load()))
	num("ssub", int64(s.ssubs.Load()))
	num("multi", int64(s.queued.Load()))
	var qbuf, argvMem int64
	if self {
		qbuf = int64(respLen(x.args))
		for _, a := range x.args {
			argvMem += int64(len(a))
		}
	}
	const queryBufFree = 20474 // a fresh 20 KB query buffer
	num("qbuf", qbuf)
	num("qbuf-free", max(0, queryBufFree-qbuf))
	num("argv-mem", argvMem)
	num("multi-mem", 0)
	rbs, rbp, totMem := int64(1024), int64(0), int64(22272)
	if self {
		rbs, rbp, totMem = 16384, 16384, 37648+argvMem
	}
	num("rbs", rbs)
	num("rbp", rbp)
	num("obl", 0)
	num("oll", 0)
	num("omem", 0)
	num("tot-mem", totMem)
	str("events", "r")
	cmd := "NULL"
	if self {
		cmd = x.spec.Name
	} else if c := s.lastCmd.Load(); c != nil {
		cmd = c.Name
	}
	str("cmd", cmd)
	str("user", "default")
	num("redir", -1)
	num("resp", int64(s.protoShared.Load()))
	return b
}

// flags is the flags field of CLIENT LIST: N for none, else a letter per
// state (b blocked, P pubsub, x in MULTI).
func (s *Session) flags() string {
	var f []byte
	if s.blocked.Load() {
		f = append(f, 'b')
	}
	if s.typeOf() == clientPubSub {
		f = append(f, 'P')
	}
	if s.queued.Load() >= 0 {
		f = append(f, 'x')
	}
	if len(f) == 0 {
		return "N"
	}
	return string(f)
}

// respLen is the size of args encoded as a RESP request.
func respLen(args [][]byte) int {
	n := 1 + len(strconv.Itoa(len(args))) + 2
	for _, a := range args {
		n += 1 + len(strconv.Itoa(len(a))) + 2 + len(a) + 2
	}
	return n
}

// cmdClientKill is CLIENT KILL addr (the old form: OK or an error) and
// CLIENT KILL filter value ... (the new form: the number killed).
func cmdClientKill(x *Ctx) {
	var (
		addr, laddr string
		hasAddr     bool
		hasLaddr    bool
		id          int64
		typ         = -1
		skipMe      = true
	)
	if len(x.args) == 3 {
		addr, hasAddr = string(x.args[2]), true
		skipMe = false // the old form may kill the caller
	} else {
		for i := 2; i < len(x.args); i += 2 {
			if i+1 == len(x.args) {
				// An option without a value.
				x.r.Err(ErrSyntax)
				return
			}
			opt, val := x.args[i], x.args[i+1]
			switch {
			case equalFold(opt, "id"):
				n, err := parseInt(val)
				if err != nil || n < 1 {
					x.r.Error("ERR client-id should be greater than 0")
					return
				}
				id = n
			case equalFold(opt, "type"):
				typ = clientType(val)
				if typ < 0 {
					x.r.Error("ERR Unknown client type '" + string(val) + "'")
					return
				}
			case equalFold(opt, "addr"):
				addr, hasAddr = string(val), true
			case equalFold(opt, "laddr"):
				laddr, hasLaddr = string(val), true
			case equalFold(opt, "user"):
				// Only the default user exists.
				if string(val) != "default" {
					x.r.Error("ERR No such user '" + string(val) + "'")
					return
				}
			case equalFold(opt, "skipme"):
				switch {
				case equalFold(val, "yes"):
					skipMe = true
				case equalFold(val, "no"):
					skipMe = false
				default:
					x.r.Err(ErrSyntax)
					return
				}
			default:
				x.r.Err(ErrSyntax)
				return
			}
		}
	}
	var killed int64
	for _, s := range x.e.clients.snapshot() {
		switch {
		case hasAddr && s.Addr != addr,
			hasLaddr && s.LocalAddr != laddr,
			typ >= 0 && s.typeOf() != typ,
			id != 0 && s.ID != id,
			s == x.s && skipMe:
			continue
		}
		if s == x.s {
			// Closed after the reply is written.
			x.s.quit = true
		} else {
			s.terminate()
		}
		killed++
	}
	if len(x.args) == 3 {
		if killed == 0 {
			x.r.Error("ERR No such client")
		} else {
			x.r.OK()
		}
		return
	}
	x.r.Int(killed)
}

// isLocal reports whether the client connected from a loopback address,
// which may change protected configs when enable-protected-configs is
// "local".
func (s *Session) isLocal() bool {
	host, _, err := net.SplitHostPort(s.Addr)
	if err != nil {
		return strings.HasPrefix(s.Addr, "/") // a unix socket
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func cmdClientHelp(x *Ctx) {
	x.help("CLIENT",
		"GETNAME",
		"    Return the name given to this connection, if any.",
		"ID",
		"    Return this connection's unique ID.",
		"INFO",
		"    Describe this connection, in the format of CLIENT LIST.",
		"KILL <ip:port>",
		"    Close the connection coming from <ip:port>.",
		"KILL <option> <value> [<option> <value> [...]]",
		"    Close every connection that matches all the filters:",
		"    * ID <client-id>",
		"      The connection with this ID.",
		"    * ADDR (<ip:port>|<unixsocket>:0)",
		"      Connections coming from this address.",
		"    * LADDR (<ip:port>|<unixsocket>:0)",
		"      Connections made to this local address.",
		"    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
		"      Connections of this type.",
		"    * USER <username>",
		"      Connections authenticated as this user.",
		"    * SKIPME (YES|NO)",
		"      Whether to spare this connection (default: yes).",
		"LIST [TYPE (NORMAL|MASTER|REPLICA|PUBSUB) | ID <client-id> [<client-id> ...]]",
		"    Describe the open connections, all or those selected.",
		"SETNAME <name>",
		"    Give this connection a name.",
	)
}

// help writes a HELP reply the way Redis formats it: a title line, the
// given lines, and the HELP entry, each a simple string.
func (x *Ctx) help(cmd string, lines ...string) {
	x.r.Array(len(lines) + 3)
	x.r.Simple(cmd + " <subcommand> [<arg> [value] [opt] ...]. Subcommands are:")
	for _, l := range lines {
		x.r.Simple(l)
	}
	x.r.Simple("HELP")
	x.r.Simple("    Prints this help.")
}
