// Command fakeanthropic serves the test kit's fake Anthropic Messages API on
// loopback, for load tests of a gateway whose CLIs point at it
// (ANTHROPIC_BASE_URL). It prints the base URL and runs until interrupted.
// A slow upstream (streams held open) is --first-byte-delay and --chunk-delay.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/ccgateway/ccgateway/internal/testkit"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "fakeanthropic:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("fakeanthropic", flag.ContinueOnError)
	chunks := fs.Int("chunks", 5, "text_delta events per reply")
	chunkDelay := fs.Duration("chunk-delay", 0, "pause between deltas")
	firstByte := fs.Duration("first-byte-delay", 0, "pause before the response headers")
	urlFile := fs.String("url-file", "", "also write the base URL to this file")
	if err := fs.Parse(args); err != nil {
		return err
	}
	f := testkit.StartFakeAPI()
	defer f.Close()
	parts := make([]string, max(*chunks, 1))
	for i := range parts {
		parts[i] = fmt.Sprintf("w%d ", i)
	}
	f.SetReply(func(*testkit.Request) testkit.Reply {
		return testkit.Reply{Text: strings.Join(parts, ""), Chunks: parts, ChunkDelay: *chunkDelay, FirstByteDelay: *firstByte}
	})
	fmt.Println(f.URL())
	if *urlFile != "" {
		if err := os.WriteFile(*urlFile, []byte(f.URL()), 0o644); err != nil {
			return err
		}
	}
	// The fake records every request; forget them so a long run stays small.
	t := time.NewTicker(10 * time.Second)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
			f.Reset()
		}
	}
}
