package messages

import (
	"bytes"
	"go/build"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"testing"
)

// protocVersionLine differs between protoc builds without changing the code.
var protocVersionLine = regexp.MustCompile(`(?m)^//\s+protoc\s+v.*$`)

// TestGeneratedCodeIsFresh regenerates messages.pb.go into a temporary directory and
// fails when the committed file differs: run `make proto` after editing the .proto.
func TestGeneratedCodeIsFresh(t *testing.T) {
	// `go install` puts protoc-gen-go in GOPATH/bin, which is not always on PATH.
	t.Setenv("PATH", os.Getenv("PATH")+string(os.PathListSeparator)+filepath.Join(build.Default.GOPATH, "bin"))
	for _, tool := range []string{"protoc", "protoc-gen-go"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s is not on PATH (install: see .ci/run): %v", tool, err)
		}
	}
	out := t.TempDir()
	cmd := exec.Command("protoc", "--proto_path=.", "--go_out="+out, "--go_opt=paths=source_relative", "messages.proto")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("protoc: %v\n%s", err, b)
	}
	fresh, err := os.ReadFile(filepath.Join(out, "messages.pb.go"))
	if err != nil {
		t.Fatal(err)
	}
	committed, err := os.ReadFile("messages.pb.go")
	if err != nil {
		t.Fatal(err)
	}
	norm := func(b []byte) []byte { return protocVersionLine.ReplaceAll(b, nil) }
	if !bytes.Equal(norm(fresh), norm(committed)) {
		t.Fatal("actors/messages/messages.pb.go is stale: run `make proto` and commit the result")
	}
}
