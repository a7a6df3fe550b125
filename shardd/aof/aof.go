package aof

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/shardis/shardis/pkg/resp"
	"github.com/shardis/shardis/shardd/internal/atomicfile"
)

// Fsync is the appendfsync policy.
type Fsync int

const (
	FsyncEverySec Fsync = iota // fsync once a second in the background
	FsyncAlways                // fsync before any reply that depends on the write
	FsyncNo                    // leave flushing to the OS
)

// ParseFsync parses appendfsync's value.
func ParseFsync(s string) (Fsync, error) {
	switch s {
	case "always":
		return FsyncAlways, nil
	case "everysec":
		return FsyncEverySec, nil
	case "no":
		return FsyncNo, nil
	}
	return 0, fmt.Errorf("aof: unknown appendfsync %q", s)
}

// Options configure an AOF.
type Options struct {
	// Dir is the AOF directory (dir + appenddirname); created if missing.
	Dir string
	// Name is appendfilename, the prefix of every file ("appendonly.aof").
	Name  string
	Fsync Fsync
	// LoadTruncated is aof-load-truncated: repair a torn tail on Load.
	LoadTruncated bool
	Logger        *slog.Logger // nil means slog.Default()
}

// AOF is an open append-only file directory.
type AOF struct {
	opts  Options
	log   *slog.Logger
	fsync atomic.Int32 // the Fsync policy, changeable at run time

	// mu guards buf, pos, the current file and the manifest. Appends hold
	// it only to copy into buf.
	mu  sync.Mutex
	buf []byte
	pos uint64 // bytes ever appended
	// db is the database the log's last SELECT chose; -1 at the start of
	// a file, where replay starts in db 0 but we never rely on it.
	db       int
	manifest *Manifest
	incr     *os.File
	incrSeq  int64
	closed   bool
	err      error // sticky write error: the AOF refuses further writes

	// wmu serializes writers of the buffer to the file; lock order is
	// wmu before mu. written and synced change only under wmu; they are
	// atomics so that WaitWritten can see without it that it has
	// nothing to do.
	wmu     sync.Mutex
	written atomic.Uint64 // bytes written to the OS
	synced  atomic.Uint64 // bytes fsynced
	// spare is the buffer the last write emptied, for buf to reuse, so
	// that appends do not grow a new buffer after every write; guarded
	// by wmu.
	spare []byte

	stop chan struct{}
	done chan struct{}
}

// maxSpare caps the buffer kept between writes.
const maxSpare = 1 << 20

// ErrClosed is returned after Close.
var ErrClosed = errors.New("aof: closed")

// Open opens (or creates) the AOF directory. It does not load it: call Load
// before the first Append.
func Open(opts Options) (*AOF, error) {
	if opts.Name == "" {
		opts.Name = "appendonly.aof"
	}
	log := opts.Logger
	if log == nil {
		log = slog.Default()
	}
	if err := os.MkdirAll(opts.Dir, 0o755); err != nil {
		return nil, fmt.Errorf("cannot create AOF directory %q: %w", opts.Dir, err)
	}
	a := &AOF{opts: opts, log: log, db: -1, stop: make(chan struct{}), done: make(chan struct{})}
	a.fsync.Store(int32(opts.Fsync))
	data, err := os.ReadFile(a.manifestPath())
	switch {
	case errors.Is(err, os.ErrNotExist):
		a.manifest = &Manifest{}
	case err != nil:
		return nil, fmt.Errorf("cannot read AOF manifest: %w", err)
	default:
		m, err := parseManifest(data)
		if err != nil {
			return nil, fmt.Errorf("AOF manifest %q: %w", a.manifestPath(), err)
		}
		a.manifest = m
	}
	return a, nil
}

func (a *AOF) manifestPath() string { return filepath.Join(a.opts.Dir, a.opts.Name+".manifest") }

func (a *AOF) path(name string) string { return filepath.Join(a.opts.Dir, name) }

func (a *AOF) incrName(seq int64) string {
	return a.opts.Name + "." + strconv.FormatInt(seq, 10) + ".incr.aof"
}

// BaseName is the name of the base file of sequence seq; rdb selects the
// RDB form.
func (a *AOF) baseName(seq int64, rdb bool) string {
	ext := ".base.aof"
	if rdb {
		ext = ".base.rdb"
	}
	return a.opts.Name + "." + strconv.FormatInt(seq, 10) + ext
}

// Start opens the incremental file for appends (creating the first one and
// the manifest for a new directory) and starts the fsync goroutine. Call it
// after Load.
func (a *AOF) Start() error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if len(a.manifest.Incrs) == 0 {
		seq := a.manifest.lastIncrSeq() + 1
		if a.manifest.Base != nil {
			seq = max(seq, a.manifest.Base.Seq)
		}
		a.manifest.Incrs = append(a.manifest.Incrs, FileInfo{Name: a.incrName(seq), Seq: seq, Type: Incremental})
		if err := a.openIncr(seq); err != nil {
			return err
		}
		if err := atomicfile.Write(a.manifestPath(), a.manifest.format()); err != nil {
			return fmt.Errorf("cannot write AOF manifest: %w", err)
		}
	} else {
		last := a.manifest.Incrs[len(a.manifest.Incrs)-1]
		if err := a.openIncr(last.Seq); err != nil {
			return err
		}
	}
	go a.fsyncLoop()
	return nil
}

func (a *AOF) openIncr(seq int64) error {
	f, err := os.OpenFile(a.path(a.incrName(seq)), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("cannot open AOF file: %w", err)
	}
	a.incr, a.incrSeq = f, seq
	return nil
}

// Append adds one encoded command that ran in database db to the log,
// preceded by a SELECT when the log is in another database, and returns
// the position to pass to WaitWritten. It only copies.
func (a *AOF) Append(db int, cmd []byte) uint64 { return a.AppendBlock(db, cmd, db) }

// AppendBlock appends a MULTI ... EXEC block whose first command runs in
// startDB and which SELECTs its own way to endDB, atomically.
func (a *AOF) AppendBlock(startDB int, block []byte, endDB int) uint64 {
	return a.append(startDB, endDB, func(dst []byte) []byte { return append(dst, block...) })
}

// AppendFunc is Append for a caller that encodes its commands straight
// into the log's buffer, saving a buffer and a copy per command: encode
// appends them to dst and returns the result. It runs with the AOF
// locked, so it must be quick and must not call the AOF.
func (a *AOF) AppendFunc(db int, encode func(dst []byte) []byte) uint64 {
	return a.append(db, db, encode)
}

func (a *AOF) append(startDB, endDB int, encode func(dst []byte) []byte) uint64 {
	a.mu.Lock()
	before := len(a.buf)
	if startDB != a.db {
		a.buf = resp.AppendArray(a.buf, 2)
		a.buf = resp.AppendBulkString(a.buf, "SELECT")
		a.buf = resp.AppendBulkInt(a.buf, int64(startDB))
	}
	a.buf = encode(a.buf)
	a.db = endDB
	a.pos += uint64(len(a.buf) - before)
	p := a.pos
	a.mu.Unlock()
	return p
}

// WaitWritten returns once everything up to pos reached the OS (and the
// disk, with appendfsync always). It writes the shared buffer itself if
// nobody else is doing it.
func (a *AOF) WaitWritten(pos uint64) error {
	if a.reached(pos) {
		return nil
	}
	// Let the other connections that are ready to run append their
	// commands first, so that one write (and fsync) serves them all.
	// Without it, with few cores each connection would write its own
	// command: a system call per command, where Redis writes once per
	// event loop iteration.
	runtime.Gosched()
	a.wmu.Lock()
	defer a.wmu.Unlock()
	if a.reached(pos) {
		return nil
	}
	if err := a.writeLocked(); err != nil {
		return err
	}
	if a.policy() == FsyncAlways && a.synced.Load() < a.written.Load() {
		return a.syncLocked()
	}
	return nil
}

// reached reports whether everything up to pos is where the policy wants
// it before a reply: written, and fsynced too with appendfsync always.
func (a *AOF) reached(pos uint64) bool {
	return a.written.Load() >= pos && (a.policy() != FsyncAlways || a.synced.Load() >= pos)
}

// writeLocked writes the buffer to the current file. Needs wmu.
func (a *AOF) writeLocked() error {
	a.mu.Lock()
	if a.err != nil {
		err := a.err
		a.mu.Unlock()
		return err
	}
	buf, f, end := a.buf, a.incr, a.pos
	if len(buf) == 0 {
		a.mu.Unlock()
		return nil
	}
	a.buf, a.spare = a.spare[:0], nil
	a.mu.Unlock()
	if f == nil {
		return ErrClosed
	}
	if _, err := f.Write(buf); err != nil {
		err = fmt.Errorf("cannot write to AOF %q: %w", f.Name(), err)
		a.mu.Lock()
		a.err = err
		a.mu.Unlock()
		a.log.Error("AOF write failed; refusing further writes", "err", err)
		return err
	}
	a.written.Store(end)
	// Keep the buffer for the next write unless a burst made it big.
	if cap(buf) <= maxSpare {
		a.spare = buf
	}
	return nil
}

func (a *AOF) syncLocked() error {
	a.mu.Lock()
	f := a.incr
	a.mu.Unlock()
	if f == nil {
		return ErrClosed
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("cannot fsync AOF %q: %w", f.Name(), err)
	}
	a.synced.Store(a.written.Load())
	return nil
}

// SetFsync changes the appendfsync policy (CONFIG SET appendfsync).
func (a *AOF) SetFsync(p Fsync) { a.fsync.Store(int32(p)) }

func (a *AOF) policy() Fsync { return Fsync(a.fsync.Load()) }

// Err reports a sticky write error: after one, writes must be refused
// (Redis answers -MISCONF).
func (a *AOF) Err() error {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.err
}

// Flush writes and fsyncs everything appended so far.
func (a *AOF) Flush() error {
	a.wmu.Lock()
	defer a.wmu.Unlock()
	if err := a.writeLocked(); err != nil {
		return err
	}
	if a.synced.Load() < a.written.Load() {
		return a.syncLocked()
	}
	return nil
}

// syncInBackground is appendfsync everysec's fsync: it writes what is
// buffered, then fsyncs without holding wmu, so that commands go on being
// written (and answered) while the disk catches up, as Redis fsyncs in a
// background thread. Holding wmu across the fsync made every writer wait
// for it: tens of milliseconds when much was written in that second.
func (a *AOF) syncInBackground() error {
	a.wmu.Lock()
	err := a.writeLocked()
	pos := a.written.Load()
	a.mu.Lock()
	f := a.incr
	a.mu.Unlock()
	a.wmu.Unlock()
	if err != nil || f == nil || a.synced.Load() >= pos {
		return err
	}
	err = f.Sync()
	a.wmu.Lock()
	defer a.wmu.Unlock()
	a.mu.Lock()
	current := a.incr == f
	a.mu.Unlock()
	if !current {
		// A rewrite switched (and synced) files meanwhile; an error
		// from the old, closed one does not matter.
		return nil
	}
	if err != nil {
		return fmt.Errorf("cannot fsync AOF %q: %w", f.Name(), err)
	}
	if a.synced.Load() < pos {
		a.synced.Store(pos)
	}
	return nil
}

func (a *AOF) fsyncLoop() {
	defer close(a.done)
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-a.stop:
			return
		case <-t.C:
			if a.policy() == FsyncNo {
				a.wmu.Lock()
				err := a.writeLocked()
				a.wmu.Unlock()
				if err != nil {
					a.log.Error("AOF background write failed", "err", err)
				}
				continue
			}
			if err := a.syncInBackground(); err != nil {
				a.log.Error("AOF background fsync failed", "err", err)
			}
		}
	}
}

// Size is the size of the current incremental file plus the base, for
// auto-aof-rewrite decisions.
func (a *AOF) Size() int64 {
	a.mu.Lock()
	defer a.mu.Unlock()
	var n int64
	for _, fi := range a.manifest.files() {
		if st, err := os.Stat(a.path(fi.Name)); err == nil {
			n += st.Size()
		}
	}
	return n + int64(len(a.buf))
}

// Close flushes, fsyncs and closes the log.
func (a *AOF) Close() error {
	a.mu.Lock()
	if a.closed {
		a.mu.Unlock()
		return nil
	}
	a.closed = true
	started := a.incr != nil
	a.mu.Unlock()
	if started {
		close(a.stop)
		<-a.done
	}
	err := a.Flush()
	a.mu.Lock()
	if a.incr != nil {
		if cerr := a.incr.Close(); err == nil {
			err = cerr
		}
		a.incr = nil
	}
	a.mu.Unlock()
	return err
}

// Rewrite is a rewrite in progress: the new base file being written.
type Rewrite struct {
	a    *AOF
	f    *os.File
	seq  int64
	rdb  bool
	done bool
}

// StartRewrite switches appends to a new incremental file, recorded in the
// manifest after the current ones, and opens a temporary base file for
// the snapshot; rdb selects the RDB form of the base. The caller must hold
// off every writer while it runs (the engine holds all slot locks), so
// that the switch falls between two commands.
func (a *AOF) StartRewrite(rdb bool) (*Rewrite, error) {
	f, err := os.CreateTemp(a.opts.Dir, "temp-rewriteaof-*.aof")
	if err != nil {
		return nil, fmt.Errorf("cannot create AOF rewrite file: %w", err)
	}
	// Write out what the old file is owed, then switch files with both
	// locks held so no append lands between them.
	a.wmu.Lock()
	defer a.wmu.Unlock()
	if err := a.writeLocked(); err != nil {
		f.Close()
		os.Remove(f.Name())
		return nil, err
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.incr == nil {
		f.Close()
		os.Remove(f.Name())
		return nil, ErrClosed
	}
	old := a.incr
	seq := a.incrSeq + 1
	if err := a.openIncr(seq); err != nil {
		f.Close()
		os.Remove(f.Name())
		return nil, err
	}
	a.db = -1 // the new file must select its database again
	a.manifest.Incrs = append(a.manifest.Incrs, FileInfo{Name: a.incrName(seq), Seq: seq, Type: Incremental})
	if err := atomicfile.Write(a.manifestPath(), a.manifest.format()); err != nil {
		// Keep appending to the new file; the next rewrite will list it.
		a.log.Error("cannot write AOF manifest at rewrite start", "err", err)
	}
	// The old file gets no more appends: fsync and close it in the
	// background, as Redis does, instead of holding every writer (and
	// the engine's slot locks) for an fsync of up to a second's worth of
	// writes or more.
	go func() {
		old.Sync()
		old.Close()
	}()
	return &Rewrite{a: a, f: f, seq: seq, rdb: rdb}, nil
}

// Writer is where the snapshot goes.
func (rw *Rewrite) Writer() io.Writer { return rw.f }

// Finish makes the written snapshot the base: it fsyncs and renames it,
// writes a manifest naming it and the incremental file that started with
// the rewrite, and deletes the files it replaces.
func (rw *Rewrite) Finish() error {
	a := rw.a
	if err := rw.f.Sync(); err != nil {
		rw.Abort()
		return fmt.Errorf("cannot fsync AOF rewrite: %w", err)
	}
	if err := rw.f.Close(); err != nil {
		rw.Abort()
		return err
	}
	name := a.baseName(rw.seq, rw.rdb)
	if err := os.Rename(rw.f.Name(), a.path(name)); err != nil {
		rw.Abort()
		return fmt.Errorf("cannot install AOF base: %w", err)
	}
	rw.done = true
	a.mu.Lock()
	var obsolete []FileInfo
	if a.manifest.Base != nil {
		obsolete = append(obsolete, *a.manifest.Base)
	}
	var keep []FileInfo
	for _, fi := range a.manifest.Incrs {
		if fi.Seq < rw.seq {
			obsolete = append(obsolete, fi)
		} else {
			keep = append(keep, fi)
		}
	}
	obsolete = append(obsolete, a.manifest.History...)
	m := &Manifest{Base: &FileInfo{Name: name, Seq: rw.seq, Type: Base}, Incrs: keep}
	err := atomicfile.Write(a.manifestPath(), m.format())
	if err == nil {
		a.manifest = m
	}
	a.mu.Unlock()
	if err != nil {
		return fmt.Errorf("cannot write AOF manifest: %w", err)
	}
	for _, fi := range obsolete {
		if err := os.Remove(a.path(fi.Name)); err != nil && !errors.Is(err, os.ErrNotExist) {
			a.log.Warn("cannot delete old AOF file", "file", fi.Name, "err", err)
		}
	}
	return nil
}

// Abort drops the rewrite; appends continue in the new incremental file,
// which the manifest already lists.
func (rw *Rewrite) Abort() {
	if rw.done {
		return
	}
	rw.done = true
	rw.f.Close()
	os.Remove(rw.f.Name())
}
