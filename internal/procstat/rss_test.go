package procstat

import (
	"os"
	"testing"
)

func TestRSS(t *testing.T) {
	if got := RSS(os.Getpid()); got < 1<<20 {
		t.Fatalf("RSS of this test process = %d bytes, want at least 1 MiB", got)
	}
	if got := RSS(-1); got != 0 {
		t.Fatalf("RSS of no process = %d, want 0", got)
	}
}
