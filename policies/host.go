package policies

import (
	"context"
	"log/slog"
	"time"

	"github.com/tetratelabs/wazero/api"

	"github.com/ccgateway/ccgateway/policies/abi"
)

// Guest log limits: longer lines are cut, lines beyond the count in one call dropped.
const (
	maxLogBytes    = 1024
	maxLogsPerCall = 16
)

// callState travels in the call's context to the host functions.
type callState struct {
	policy  string
	version int64
	logs    int
}

type callStateKey struct{}

func (e *Engine) instantiateHost(ctx context.Context) error {
	_, err := e.runtime.NewHostModuleBuilder(abi.ImportModule).
		NewFunctionBuilder().
		WithGoModuleFunction(api.GoModuleFunc(e.hostLog), []api.ValueType{api.ValueTypeI32, api.ValueTypeI32}, nil).
		WithParameterNames("ptr", "len").
		Export(abi.ImportLog).
		NewFunctionBuilder().
		WithGoFunction(api.GoFunc(func(_ context.Context, stack []uint64) {
			stack[0] = uint64(time.Now().UnixMilli())
		}), nil, []api.ValueType{api.ValueTypeI64}).
		Export(abi.ImportNowMS).
		Instantiate(ctx)
	return err
}

// hostLog implements ccg.log(ptr, len): the line goes to the engine's logger with the
// policy's name, cut to maxLogBytes, at most maxLogsPerCall lines per call.
func (e *Engine) hostLog(ctx context.Context, m api.Module, stack []uint64) {
	st, _ := ctx.Value(callStateKey{}).(*callState)
	if st != nil {
		if st.logs >= maxLogsPerCall {
			return
		}
		st.logs++
	}
	ptr, n := api.DecodeU32(stack[0]), api.DecodeU32(stack[1])
	truncated := n > maxLogBytes
	if truncated {
		n = maxLogBytes
	}
	b, ok := m.Memory().Read(ptr, n)
	if !ok {
		return
	}
	attrs := []slog.Attr{slog.String("line", string(b))}
	if st != nil {
		attrs = append(attrs, slog.String("policy", st.policy), slog.Int64("version", st.version))
	}
	if truncated {
		attrs = append(attrs, slog.Bool("truncated", true))
	}
	e.cfg.Logger.LogAttrs(ctx, slog.LevelInfo, "policy log", attrs...)
}
