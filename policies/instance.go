package policies

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/sys"

	"github.com/ccgateway/ccgateway/policies/abi"
	"github.com/ccgateway/ccgateway/policies/abi/abijson"
)

// maxOutputBytes bounds the output JSON a guest may return.
const maxOutputBytes = 64 << 10

// instance is one instantiated guest module. It is used by one goroutine at a time
// (the pool guarantees it) and is closed, never reused, after any error.
type instance struct {
	mod      api.Module
	mem      api.Memory
	buffer   api.Function
	evaluate api.Function
	gc       api.Function // optional ccg_gc
	stderr   *headBuffer
	calls    int // evaluations since the last collection

	bufPtr uint32
	bufCap uint32
	stack  [1]uint64
}

// newInstance instantiates compiled, running the reactor's _initialize.
func (e *Engine) newInstance(ctx context.Context, compiled wazero.CompiledModule) (*instance, error) {
	stderr := &headBuffer{max: 512}
	cfg := wazero.NewModuleConfig().
		WithName("").
		WithStartFunctions("_initialize").
		WithStderr(stderr).
		WithSysWalltime().
		WithSysNanotime()
	ctx, cancel := context.WithTimeout(ctx, e.cfg.InstantiateTimeout)
	defer cancel()
	mod, err := e.runtime.InstantiateModule(ctx, compiled, cfg)
	if err != nil {
		return nil, fmt.Errorf("policies: instantiate: %w%s", classify(err), stderr.suffix())
	}
	e.counters.created.Add(1)
	return &instance{
		mod:      mod,
		mem:      mod.Memory(),
		buffer:   mod.ExportedFunction(abi.ExportBuffer),
		evaluate: mod.ExportedFunction(abi.ExportEvaluate),
		gc:       mod.ExportedFunction(abi.ExportGC),
		stderr:   stderr,
	}, nil
}

// abiVersion calls the abi_version export.
func (i *instance) abiVersion(ctx context.Context) (uint32, error) {
	res, err := i.mod.ExportedFunction(abi.ExportABIVersion).Call(ctx)
	if err != nil {
		return 0, fmt.Errorf("policies: abi_version: %w%s", classify(err), i.stderr.suffix())
	}
	return api.DecodeU32(res[0]), nil
}

// inputFields calls the optional input_fields export (FieldsAll without it).
func (i *instance) inputFields(ctx context.Context) (abi.Fields, error) {
	fn := i.mod.ExportedFunction(abi.ExportFields)
	if fn == nil {
		return abi.FieldsAll, nil
	}
	res, err := fn.Call(ctx)
	if err != nil {
		return 0, fmt.Errorf("policies: input_fields: %w%s", classify(err), i.stderr.suffix())
	}
	return abi.Fields(res[0]) & abi.FieldsAll, nil
}

// call writes input into the guest's buffer, runs evaluate and decodes the output.
// ctx carries the call's deadline.
func (i *instance) call(ctx context.Context, input []byte) (abi.Output, error) {
	if uint32(len(input)) > i.bufCap || i.bufCap == 0 {
		want := max(uint32(len(input)), 4096)
		i.stack[0] = uint64(want)
		if err := i.buffer.CallWithStack(ctx, i.stack[:]); err != nil {
			return abi.Output{}, fmt.Errorf("ccg_buffer: %w%s", classify(err), i.stderr.suffix())
		}
		i.bufPtr, i.bufCap = api.DecodeU32(i.stack[0]), want
	}
	if !i.mem.Write(i.bufPtr, input) {
		return abi.Output{}, fmt.Errorf("%w: ccg_buffer returned %#x, out of memory bounds", ErrBadOutput, i.bufPtr)
	}
	i.stack[0] = uint64(len(input))
	if err := i.evaluate.CallWithStack(ctx, i.stack[:]); err != nil {
		return abi.Output{}, fmt.Errorf("evaluate: %w%s", classify(err), i.stderr.suffix())
	}
	ptr, n := uint32(i.stack[0]>>32), uint32(i.stack[0])
	if n > maxOutputBytes {
		return abi.Output{}, fmt.Errorf("%w: %d bytes, limit %d", ErrBadOutput, n, maxOutputBytes)
	}
	b, ok := i.mem.Read(ptr, n)
	if !ok {
		return abi.Output{}, fmt.Errorf("%w: [%#x, +%d) is out of memory bounds", ErrBadOutput, ptr, n)
	}
	out, err := decodeOutput(b)
	if err != nil {
		return abi.Output{}, fmt.Errorf("%w: %v", ErrBadOutput, err)
	}
	return out, nil
}

// collect calls ccg_gc.
func (i *instance) collect(ctx context.Context) error {
	i.calls = 0
	if _, err := i.gc.Call(ctx); err != nil {
		return fmt.Errorf("policies: ccg_gc: %w%s", classify(err), i.stderr.suffix())
	}
	return nil
}

func (i *instance) close() { _ = i.mod.Close(context.Background()) }

// classify turns wazero's deadline exit into ErrTimeout.
func classify(err error) error {
	var exit *sys.ExitError
	if errors.As(err, &exit) && exit.ExitCode() == sys.ExitCodeDeadlineExceeded {
		return fmt.Errorf("%w (%v)", ErrTimeout, err)
	}
	return err
}

// headBuffer keeps the first max bytes a guest writes to stderr (a Go panic starts
// with its message) to explain a failed call; an instance that failed is discarded,
// so the head is the relevant part.
type headBuffer struct {
	mu  sync.Mutex
	max int
	b   []byte
}

func (t *headBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if room := t.max - len(t.b); room > 0 {
		t.b = append(t.b, p[:min(room, len(p))]...)
	}
	return len(p), nil
}

// suffix returns "; guest stderr: ..." or "" when nothing was written.
func (t *headBuffer) suffix() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.b) == 0 {
		return ""
	}
	return "; guest stderr: " + string(t.b)
}

// decodeOutput decodes a guest's output JSON; b may alias guest memory, the result
// does not.
func decodeOutput(b []byte) (abi.Output, error) {
	var out abi.Output
	err := abijson.UnmarshalOutput(b, &out)
	return out, err
}
