package session

import (
	"crypto/subtle"
	"fmt"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/shardis/shardis/pkg/command"
	"github.com/shardis/shardis/pkg/resp"
	"github.com/shardis/shardis/proxy/internal/glob"
)

// Commands the proxy answers itself: connection state, CLIENT, CONFIG GET.

func (s *Session) ping(args [][]byte) *call {
	if s.ps != nil && s.ps.count() > 0 && s.proto == 2 {
		b := resp.AppendArray(nil, 2)
		b = resp.AppendBulkString(b, "pong")
		if len(args) > 1 {
			b = resp.AppendBulk(b, args[1])
		} else {
			b = resp.AppendBulkString(b, "")
		}
		return &call{reply: b}
	}
	switch len(args) {
	case 1:
		return &call{reply: []byte("+PONG\r\n")}
	case 2:
		return &call{reply: resp.AppendBulk(nil, args[1])}
	}
	return errCall("ERR wrong number of arguments for 'ping' command")
}

// checkPassword applies AUTH's rules; only the "default" user exists.
func (s *Session) checkPassword(user, pass []byte) bool {
	if user != nil && string(user) != "default" {
		return false
	}
	if s.env.Password == "" {
		return true
	}
	return subtle.ConstantTimeCompare(pass, []byte(s.env.Password)) == 1
}

func (s *Session) auth(args [][]byte) *call {
	var user, pass []byte
	switch len(args) {
	case 2:
		pass = args[1]
		if s.env.Password == "" {
			return errCall("ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?")
		}
	case 3:
		user, pass = args[1], args[2]
	default:
		return errCall("ERR syntax error")
	}
	if !s.checkPassword(user, pass) {
		return errCall("WRONGPASS invalid username-password pair or user is disabled.")
	}
	s.authed = true
	return okCall()
}

func (s *Session) hello(args [][]byte) *call {
	proto := s.proto
	if len(args) > 1 {
		v, err := strconv.Atoi(string(args[1]))
		if err != nil {
			return errCall("ERR Protocol version is not an integer or out of range")
		}
		if v != 2 && v != 3 {
			return errCall("NOPROTO unsupported protocol version")
		}
		proto = v
	}
	var name []byte
	authed := s.authed
	for i := 2; i < len(args); i++ {
		opt := strings.ToLower(string(args[i]))
		switch {
		case opt == "auth" && i+2 < len(args):
			if !s.checkPassword(args[i+1], args[i+2]) {
				return errCall("WRONGPASS invalid username-password pair or user is disabled.")
			}
			authed = true
			i += 2
		case opt == "setname" && i+1 < len(args):
			name = args[i+1]
			i++
		default:
			return errCall(fmt.Sprintf("ERR Syntax error in HELLO option '%s'", args[i]))
		}
	}
	if !authed {
		return errCall("NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO <proto> AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time")
	}
	if name != nil {
		if err := validName(name); err != "" {
			return errCall(err)
		}
		n := string(name)
		s.name.Store(&n)
	}
	s.authed = true
	if proto != s.proto {
		// Backend connections are per protocol; dedicated ones must be
		// made again. Calls that shards refused are re-run in the
		// protocol they were sent in (moving.go).
		s.drain()
		s.closeConns()
		s.ps = nil
	}
	s.proto = proto
	b := s.appendMap(nil, 7)
	b = resp.AppendBulkString(b, "server")
	b = resp.AppendBulkString(b, "redis")
	b = resp.AppendBulkString(b, "version")
	b = resp.AppendBulkString(b, RedisVersion)
	b = resp.AppendBulkString(b, "proto")
	b = resp.AppendInt(b, int64(proto))
	b = resp.AppendBulkString(b, "id")
	b = resp.AppendInt(b, int64(s.id))
	b = resp.AppendBulkString(b, "mode")
	b = resp.AppendBulkString(b, "standalone")
	b = resp.AppendBulkString(b, "role")
	b = resp.AppendBulkString(b, "master")
	b = resp.AppendBulkString(b, "modules")
	b = resp.AppendArray(b, 0)
	return &call{reply: b}
}

// RedisVersion is the Redis version the proxy reports (that of shardd).
const RedisVersion = "7.0.15"

func validName(name []byte) string {
	for _, c := range name {
		if c < '!' || c > '~' {
			return "ERR Client names cannot contain spaces, newlines or special characters."
		}
	}
	return ""
}

func (s *Session) reset() *call {
	s.drain() // see hello
	s.tx = txState{}
	s.closeConns()
	s.ps = nil
	s.proto = 2
	s.authed = s.env.Password == ""
	empty := ""
	s.name.Store(&empty)
	return &call{reply: []byte("+RESET\r\n")}
}

// client serves CLIENT from the proxy's own registry.
func (s *Session) client(args [][]byte) *call {
	sub := strings.ToLower(string(args[1]))
	switch sub {
	case "id":
		return &call{reply: resp.AppendInt(nil, int64(s.id))}
	case "setname":
		if len(args) != 3 {
			break
		}
		if err := validName(args[2]); err != "" {
			return errCall(err)
		}
		n := string(args[2])
		s.name.Store(&n)
		return okCall()
	case "getname":
		if n := *s.name.Load(); n != "" {
			return &call{reply: resp.AppendBulkString(nil, n)}
		}
		return &call{reply: s.appendNull(nil)}
	case "setinfo", "no-evict", "no-touch", "reply":
		// Client library identification and hints: accepted, no effect.
		return okCall()
	case "info":
		return &call{reply: resp.AppendBulkString(nil, s.describe()+"\n")}
	case "list":
		var b strings.Builder
		for _, o := range s.env.Clients.snapshot() {
			b.WriteString(o.describe())
			b.WriteByte('\n')
		}
		return &call{reply: resp.AppendBulkString(nil, b.String())}
	case "kill":
		return s.clientKill(args)
	case "tracking", "caching", "trackinginfo", "getredir":
		return errCall("ERR client-side caching (CLIENT TRACKING) is not supported by shardis-proxy; disable client-side caching in the client")
	case "help":
		lines := []string{"CLIENT <subcommand> [<arg> ...]. Subcommands are:", "ID", "GETNAME", "SETNAME <name>", "INFO", "LIST", "KILL ID <id> | ADDR <ip:port>", "HELP"}
		b := resp.AppendArray(nil, len(lines))
		for _, l := range lines {
			b = resp.AppendSimple(b, l)
		}
		return &call{reply: b}
	default:
		return errCall(fmt.Sprintf("ERR unknown subcommand '%.128s'. Try CLIENT HELP.", args[1]))
	}
	return errCall(fmt.Sprintf("ERR wrong number of arguments for 'client|%s' command", sub))
}

func (s *Session) clientKill(args [][]byte) *call {
	if len(args) == 3 { // CLIENT KILL addr
		for _, o := range s.env.Clients.snapshot() {
			if o.nc.RemoteAddr().String() == string(args[2]) {
				o.Kill()
				return okCall()
			}
		}
		return errCall("ERR No such client")
	}
	if len(args)%2 != 0 {
		return errCall("ERR syntax error")
	}
	killed := 0
	for _, o := range s.env.Clients.snapshot() {
		match := true
		for i := 2; i+1 < len(args); i += 2 {
			v := string(args[i+1])
			switch strings.ToLower(string(args[i])) {
			case "id":
				match = match && strconv.FormatUint(o.id, 10) == v
			case "addr":
				match = match && o.nc.RemoteAddr().String() == v
			case "laddr":
				match = match && o.nc.LocalAddr().String() == v
			case "skipme":
				if strings.EqualFold(v, "yes") && o == s {
					match = false
				}
			default:
				return errCall("ERR syntax error")
			}
		}
		if match {
			o.Kill()
			killed++
		}
	}
	return &call{reply: resp.AppendInt(nil, int64(killed))}
}

func (s *Session) describe() string {
	last := "NULL"
	if spec := s.lastCmd.Load(); spec != nil {
		last = spec.Name
	}
	return fmt.Sprintf("id=%d addr=%s laddr=%s fd=0 name=%s age=%d idle=0 flags=N db=0 sub=%d psub=%d multi=%d resp=%d cmd=%s",
		s.id, s.nc.RemoteAddr(), s.nc.LocalAddr(), *s.name.Load(), int(time.Since(s.created).Seconds()),
		s.shown.sub.Load(), s.shown.psub.Load(), s.shown.multi.Load(), s.shown.proto.Load(), last)
}

// config serves CONFIG GET from the proxy's settings.
func (s *Session) config(sub *command.Spec, args [][]byte) *call {
	switch sub.Name {
	case "config|get":
		var pairs [][2]string
		for _, kv := range s.env.Config {
			for _, p := range args[2:] {
				if glob.Match(strings.ToLower(string(p)), kv[0]) {
					pairs = append(pairs, kv)
					break
				}
			}
		}
		b := s.appendMap(nil, len(pairs))
		for _, kv := range pairs {
			b = resp.AppendBulkString(b, kv[0])
			b = resp.AppendBulkString(b, kv[1])
		}
		return &call{reply: b}
	case "config|resetstat":
		return okCall()
	case "config|help":
		lines := []string{"CONFIG <subcommand> [<arg> ...]. Subcommands are:", "GET <pattern>", "    Return the proxy's settings matching the pattern.", "HELP"}
		b := resp.AppendArray(nil, len(lines))
		for _, l := range lines {
			b = resp.AppendSimple(b, l)
		}
		return &call{reply: b}
	}
	return errCall(fmt.Sprintf("ERR CONFIG %s is not supported by shardis-proxy: restart it with new flags, or configure each shard directly", strings.ToUpper(sub.ShortName())))
}

// info serves INFO: the proxy's own sections plus the keyspace summed
// over every shard.
func (s *Session) info(args [][]byte) *call {
	sections := map[string]bool{}
	for _, a := range args[1:] {
		sections[strings.ToLower(string(a))] = true
	}
	all := len(sections) == 0 || sections["all"] || sections["everything"] || sections["default"]
	want := func(name string) bool { return all || sections[name] }
	var b strings.Builder
	t := s.env.Router.Current()
	if want("server") {
		fmt.Fprintf(&b, "# Server\r\nredis_version:%s\r\nshardis_version:%s\r\nredis_mode:standalone\r\nshardis_role:proxy\r\nproxy_id:%s\r\nos:%s %s\r\narch_bits:64\r\ngo_version:%s\r\nprocess_id:%d\r\ntcp_addr:%s\r\nuptime_in_seconds:%d\r\nuptime_in_days:%d\r\n\r\n",
			RedisVersion, s.env.Version, s.env.ProxyID, runtime.GOOS, runtime.GOARCH, runtime.Version(), pid(),
			s.env.Addr, int(time.Since(s.env.Started).Seconds()), int(time.Since(s.env.Started).Hours()/24))
	}
	if want("clients") {
		fmt.Fprintf(&b, "# Clients\r\nconnected_clients:%d\r\n\r\n", s.env.Clients.Len())
	}
	if want("stats") {
		fmt.Fprintf(&b, "# Stats\r\ntotal_connections_received:%d\r\n\r\n", s.env.Clients.total.Load())
	}
	if want("transactions") {
		// Cross-shard writes (two-phase commit) since the proxy started.
		tc := s.env.Metrics.Tx()
		fmt.Fprintf(&b, "# Transactions\r\ntx_timeout_ms:%d\r\ntx_started:%d\r\ntx_committed:%d\r\ntx_aborted:%d\r\ntx_conflict_retries:%d\r\ntx_outcome_unknown:%d\r\ntx_messages_given_up:%d\r\n\r\n",
			s.env.Tx.TimeoutMs(), tc.Started, tc.Committed, tc.Aborted, tc.Retries, tc.Unknown, tc.GivenUp)
	}
	if want("cluster") {
		b.WriteString("# Cluster\r\ncluster_enabled:0\r\n")
		if t != nil {
			up := 0
			for _, p := range t.Shards {
				if p.Up() {
					up++
				}
			}
			fmt.Fprintf(&b, "slot_map_version:%d\r\nshards:%d\r\nshards_up:%d\r\n", t.Version, len(t.Shards), up)
			for i, p := range t.Shards {
				state := "up"
				if !p.Up() {
					state = "down"
				}
				fmt.Fprintf(&b, "shard%d:id=%s,addr=%s,state=%s\r\n", i, p.ID, p.Addr, state)
			}
		} else {
			b.WriteString("slot_map_version:0\r\n")
		}
		b.WriteString("\r\n")
	}
	head := b.String()
	if !want("keyspace") || t == nil {
		return &call{reply: resp.AppendBulkString(nil, head)}
	}
	c := s.fanAll([][]byte{[]byte("INFO"), []byte("keyspace")}, func(c *call) []byte {
		return resp.AppendBulkString(nil, head+mergeKeyspace(c))
	})
	return c
}
