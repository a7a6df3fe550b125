package topology_test

import (
	"bytes"
	"log/slog"
	"sync"
	"testing"
)

// testLogger collects log lines and prints them if the test failed. Lines
// written after the test ended (by goroutines still stopping) are dropped
// instead of panicking as t.Log would.
func testLogger(t *testing.T) *slog.Logger {
	w := &lockedBuffer{}
	t.Cleanup(func() {
		w.mu.Lock()
		defer w.mu.Unlock()
		if t.Failed() && w.b.Len() > 0 {
			t.Logf("log:\n%s", w.b.String())
		}
	})
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (w *lockedBuffer) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}
