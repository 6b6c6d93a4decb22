package gateway

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/ccgateway/ccgateway/api"
	"github.com/ccgateway/ccgateway/internal/store"
	"github.com/ccgateway/ccgateway/internal/testkit"
)

// BenchmarkChatGateway is one non-stream chat through the whole gateway: HTTP, key
// check, a fresh CLI process and its turn.
func BenchmarkChatGateway(b *testing.B) {
	g := newGateway(b)
	key, _ := g.newKey(store.KeyActive)
	b.ResetTimer()
	for b.Loop() {
		resp, body := g.do(context.Background(), "POST", "/api/chat", key, api.ChatRequest{Message: "hi"})
		if resp.StatusCode != 200 {
			b.Fatalf("status %d: %s", resp.StatusCode, body)
		}
	}
}

// BenchmarkChatCLIDirect runs the same turn as a plain one-shot `claude -p`
// against the same fake API: the baseline the gateway adds to.
func BenchmarkChatCLIDirect(b *testing.B) {
	fake := testkit.NewFakeAPI(b)
	bin := testkit.ClaudePath(b)
	dir := b.TempDir()
	cfgDir, work := filepath.Join(dir, "claude"), filepath.Join(dir, "work")
	for _, d := range []string{cfgDir, work} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			b.Fatal(err)
		}
	}
	env := append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + dir, "CLAUDE_CONFIG_DIR=" + cfgDir, "CLAUDE_CODE_MAX_RETRIES=0"}, fake.Env()...)
	b.ResetTimer()
	for b.Loop() {
		cmd := exec.Command(bin, "-p", "--output-format", "json", "--tools", "", "--setting-sources", "", "--strict-mcp-config", "hi")
		cmd.Dir, cmd.Env = work, env
		if out, err := cmd.CombinedOutput(); err != nil {
			b.Fatalf("claude: %v: %s", err, out)
		}
	}
}

// BenchmarkContinuedTurnGateway is one continued chat turn through the whole
// gateway (HTTP, key check, admission, the conversation's live CLI process, the
// fenced commit): the path whose own cost BenchmarkGatewayOverhead measures from
// outside, here in one process so that -cpuprofile sees the gateway's side.
func BenchmarkContinuedTurnGateway(b *testing.B) {
	g := newGateway(b)
	key, _ := g.newKey(store.KeyActive)
	first := g.chatOK(key, api.ChatRequest{Message: "hi"})
	b.ResetTimer()
	for b.Loop() {
		g.chatOK(key, api.ChatRequest{Message: "again", ConversationID: first.ConversationID})
	}
}
