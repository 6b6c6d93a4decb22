package policies

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"sync"
	"time"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/imports/wasi_snapshot_preview1"
)

// Config configures an Engine. The zero value is usable: every field has a default.
type Config struct {
	// CacheDir holds wazero's compilation cache, so a restart compiles a known module
	// in milliseconds instead of a second. Empty means an in-memory cache.
	CacheDir string
	// MemoryLimitPages caps each instance's linear memory, in 64 KiB pages
	// (default 1024, 64 MiB).
	MemoryLimitPages uint32
	// CallTimeout is the deadline of one guest call (default 50ms).
	CallTimeout time.Duration
	// InstantiateTimeout bounds creating an instance, which runs the guest's
	// initialization (default 2s).
	InstantiateTimeout time.Duration
	// MaxInstances caps the instances of one policy version, and so the concurrent
	// calls into it (default 2 × GOMAXPROCS). Callers beyond it wait.
	MaxInstances int
	// GCEvery is how many evaluations an instance serves between calls of its
	// optional ccg_gc export (default 256); GCTimeout bounds such a call (default
	// 2s). Collections run on the pool's goroutine, never on a caller's.
	GCEvery   int
	GCTimeout time.Duration
	// Logger receives guest log lines (ccg.log); default slog.Default().
	Logger *slog.Logger
	// Observer, if set, sees every policy call and decision.
	Observer Observer
}

// Validate checks cross-field rules.
func (c Config) Validate() error {
	if c.MemoryLimitPages > 65536 {
		return fmt.Errorf("policies: memory limit %d pages exceeds 4 GiB", c.MemoryLimitPages)
	}
	if c.CallTimeout < 0 || c.InstantiateTimeout < 0 || c.MaxInstances < 0 || c.GCEvery < 0 || c.GCTimeout < 0 {
		return errors.New("policies: negative timeout or instance count")
	}
	return nil
}

func (c *Config) setDefaults() {
	if c.MemoryLimitPages == 0 {
		c.MemoryLimitPages = 1024
	}
	if c.CallTimeout == 0 {
		c.CallTimeout = 50 * time.Millisecond
	}
	if c.InstantiateTimeout == 0 {
		c.InstantiateTimeout = 2 * time.Second
	}
	if c.MaxInstances == 0 {
		c.MaxInstances = 2 * runtime.GOMAXPROCS(0)
	}
	if c.GCEvery == 0 {
		c.GCEvery = 256
	}
	if c.GCTimeout == 0 {
		c.GCTimeout = 2 * time.Second
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.Observer == nil {
		c.Observer = nopObserver{}
	}
}

// Engine compiles and runs policies. It is safe for concurrent use; Close it after
// every Policy and Chain made from it is closed.
type Engine struct {
	cfg      Config
	runtime  wazero.Runtime
	cache    wazero.CompilationCache
	counters counters

	mu     sync.Mutex
	closed bool
}

// NewEngine creates the wazero runtime with the WASI and ccg host modules.
func NewEngine(ctx context.Context, cfg Config) (*Engine, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg.setDefaults()
	var cache wazero.CompilationCache
	if cfg.CacheDir != "" {
		c, err := wazero.NewCompilationCacheWithDir(cfg.CacheDir)
		if err != nil {
			return nil, fmt.Errorf("policies: compilation cache: %w", err)
		}
		cache = c
	} else {
		cache = wazero.NewCompilationCache()
	}
	rc := wazero.NewRuntimeConfigCompiler().
		WithCloseOnContextDone(true).
		WithMemoryLimitPages(cfg.MemoryLimitPages).
		WithCompilationCache(cache)
	e := &Engine{cfg: cfg, runtime: wazero.NewRuntimeWithConfig(ctx, rc), cache: cache}
	if _, err := wasi_snapshot_preview1.Instantiate(ctx, e.runtime); err != nil {
		_ = e.Close(ctx)
		return nil, fmt.Errorf("policies: wasi: %w", err)
	}
	if err := e.instantiateHost(ctx); err != nil {
		_ = e.Close(ctx)
		return nil, fmt.Errorf("policies: host module: %w", err)
	}
	return e, nil
}

// Counters returns a snapshot of the engine's counts.
func (e *Engine) Counters() Counters { return e.counters.snapshot() }

// Close closes the runtime and every module still open in it.
func (e *Engine) Close(ctx context.Context) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed {
		return nil
	}
	e.closed = true
	err := e.runtime.Close(ctx)
	if cerr := e.cache.Close(ctx); err == nil {
		err = cerr
	}
	return err
}

func (e *Engine) isClosed() bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.closed
}
