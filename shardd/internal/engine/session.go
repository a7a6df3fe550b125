package engine

import (
	"container/heap"
	"io"
	"sync"
	"sync/atomic"
	"time"

	"github.com/shardis/shardis/pkg/command"
)

// Session is one client connection's state. The connection's goroutine
// owns it; fields read by other goroutines (CLIENT LIST, CLIENT KILL,
// INFO) are atomics or guarded by mu.
type Session struct {
	ID        int64
	Addr      string // remote address, "ip:port"
	LocalAddr string
	Created   time.Time
	// fd is the file descriptor number CLIENT LIST shows. Go hides the
	// real one, so the registry hands out the lowest free number from 8
	// up, the way a kernel would, which is what redis-server shows.
	fd int

	// Owned by the connection's goroutine.
	db     int
	proto  int // 2 or 3
	authed bool
	// aofPos is the AOF position of the session's last change; its
	// replies wait for it (Engine.BeforeReply).
	aofPos uint64
	// ctxs are the command contexts, reused for every command: one for
	// the command itself and one for a command EXEC runs; depth says how
	// many are in use.
	ctxs  [2]Ctx
	depth int
	// tx is the MULTI/EXEC/WATCH state.
	tx txState
	// readIDs are the cross-shard reads whose shared locks the session
	// took (guarded by Engine.locks.mu): they go when it closes.
	readIDs map[string]struct{}
	// subs2 are the session's subscriptions; out, set at the first one,
	// carries its replies and messages from then on (see pushOut).
	subs2 subscriptions
	out   *pushOut
	// conn is the connection, for out's writer and for CLIENT KILL.
	conn io.WriteCloser
	// probe, set by the server, watches the connection while the client
	// is blocked: gone closes if the client disconnects; stop ends the
	// watch, keeping whatever the client sent meanwhile for later.
	probe func() (gone <-chan struct{}, stop func())
	// internal is set by AUTH shardis <cluster secret>: the connection
	// may run SHARDIS.* commands.
	internal bool
	reply    Reply
	// quit is set by QUIT (and by CLIENT KILL on the calling client):
	// the server closes the connection after flushing the reply.
	quit bool

	mu   sync.Mutex // guards name
	name string

	// Copies of the state above and state kept by other command families,
	// readable by other goroutines for CLIENT LIST and INFO.
	dbShared     atomic.Int32
	protoShared  atomic.Int32
	lastActivity atomic.Int64                 // Unix ms of the last command
	lastCmd      atomic.Pointer[command.Spec] // the last command run, nil before the first
	// Subscription counts (channels, patterns, shard channels); the
	// pub/sub commands keep them up to date. A session with any is of
	// type "pubsub" for CLIENT LIST/KILL TYPE.
	subs, psubs, ssubs atomic.Int32
	// queued is the number of commands queued by MULTI, -1 outside a
	// transaction; the transaction commands keep it up to date.
	queued atomic.Int32
	// blocked is set while the client waits in a blocking command.
	blocked atomic.Bool
	closed  atomic.Bool
}

// SetProbe installs the connection watch used while the client blocks.
func (s *Session) SetProbe(p func() (gone <-chan struct{}, stop func())) { s.probe = p }

// Reply is the session's pending output.
func (s *Session) Reply() *Reply { return &s.reply }

// Quit reports whether the client asked to close the connection (QUIT,
// CLIENT KILL of itself, SHUTDOWN).
func (s *Session) Quit() bool { return s.quit }

// Name returns the CLIENT SETNAME name.
func (s *Session) Name() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.name
}

func (s *Session) setName(n string) {
	s.mu.Lock()
	s.name = n
	s.mu.Unlock()
}

func (s *Session) selectDB(i int) {
	s.db = i
	s.dbShared.Store(int32(i))
}

func (s *Session) setProto(p int) {
	s.proto = p
	s.reply.proto = p
	s.protoShared.Store(int32(p))
}

// terminate closes another session's connection (CLIENT KILL). The
// session disappears from CLIENT LIST at once; the server forgets it when
// its goroutine notices the closed connection.
func (s *Session) terminate() {
	if s.closed.Swap(true) {
		return
	}
	if s.conn != nil {
		s.conn.Close()
	}
}

// clients is the registry of open sessions, for CLIENT LIST/KILL and INFO.
type clients struct {
	nextID atomic.Int64
	mu     sync.Mutex // guards byID, freeFDs and nextFD
	byID   map[int64]*Session
	// freeFDs holds the fd numbers of closed sessions (a min-heap), nextFD
	// the lowest number never handed out.
	freeFDs fdHeap
	nextFD  int
}

// firstFD is the first fd number handed out: redis-server's first client
// usually gets 8 (after stdio, the event loop's descriptors and the
// listeners).
const firstFD = 8

func (c *clients) add(s *Session) {
	c.mu.Lock()
	if c.byID == nil {
		c.byID = make(map[int64]*Session)
		c.nextFD = firstFD
	}
	if c.freeFDs.Len() > 0 {
		s.fd = heap.Pop(&c.freeFDs).(int)
	} else {
		s.fd = c.nextFD
		c.nextFD++
	}
	c.byID[s.ID] = s
	c.mu.Unlock()
}

func (c *clients) remove(s *Session) {
	c.mu.Lock()
	if _, ok := c.byID[s.ID]; ok {
		delete(c.byID, s.ID)
		heap.Push(&c.freeFDs, s.fd)
	}
	c.mu.Unlock()
}

func (c *clients) count() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.byID)
}

func (c *clients) get(id int64) *Session {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.byID[id]
}

// snapshot returns the open sessions ordered by ID, leaving out the ones
// killed but not yet forgotten.
func (c *clients) snapshot() []*Session {
	c.mu.Lock()
	out := make([]*Session, 0, len(c.byID))
	for _, s := range c.byID {
		if !s.closed.Load() {
			out = append(out, s)
		}
	}
	c.mu.Unlock()
	sortSessions(out)
	return out
}

// fdHeap is a min-heap of free fd numbers.
type fdHeap []int

func (h fdHeap) Len() int           { return len(h) }
func (h fdHeap) Less(i, j int) bool { return h[i] < h[j] }
func (h fdHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *fdHeap) Push(x any)        { *h = append(*h, x.(int)) }
func (h *fdHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}
