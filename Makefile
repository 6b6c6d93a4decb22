# ccgateway — see README.md. `make run` and `make test` are the whole set-up.
GO             ?= go
CLAUDE_VERSION := 2.1.332
TOOLS_DIR      := $(CURDIR)/.tools
CLAUDE_BIN     := $(TOOLS_DIR)/node_modules/.bin/claude
# The CLI that `make run` uses: claude on PATH, else the pinned copy from `make tools`.
CLAUDE_ON_PATH := $(shell command -v claude 2>/dev/null)
CLAUDE_PATH    ?= $(if $(CLAUDE_ON_PATH),$(CLAUDE_ON_PATH),$(CLAUDE_BIN))
VERSION        ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
TEST_TIMEOUT   ?= 15m

.PHONY: all build run test lint openapi openapi-tools sdk-go proto proto-tools plugins tools generate clean console ts-client ts-deps chromium screenshots web-test

# The TypeScript client (openapi/ts): the generated types, index.ts and the streaming
# helper; the console imports it, and its own package (openapi/ts/package.json) holds
# what its tests need.
TS_CLIENT := openapi/ts/index.ts openapi/ts/stream.ts openapi/ts/schema.d.ts
TS_DEPS   := openapi/ts/node_modules/.installed

# The admin console (admin-web/): npm ci when the lock file changes, a Vite build
# when a source changes; the build goes to admin-web/dist, which the binary embeds.
WEB_DEPS  := admin-web/node_modules/.installed
WEB_SRC   := $(shell find admin-web/src admin-web/public -type f 2>/dev/null) $(TS_CLIENT) \
             admin-web/index.html admin-web/vite.config.ts admin-web/tsconfig.json

all: build

build: console
	$(GO) build -trimpath -ldflags "-X main.version=$(VERSION)" -o bin/ccgateway ./cmd/ccgateway

# Serves on the embedded SQLite default at http://127.0.0.1:8080.
run: build $(if $(CLAUDE_ON_PATH),,tools)
	CCGATEWAY_CLAUDE_PATH="$(CLAUDE_PATH)" ./bin/ccgateway serve

# Every test. Tests drive the real CLI installed by `make tools`; the generated-code
# staleness test needs protoc (proto-tools); the spec lint test needs openapi-tools.
test: tools proto-tools openapi-tools console ts-deps chromium
	cd admin-web && npx vitest run
	cd openapi/ts && npx vitest run
	PATH="$$PATH:$$($(GO) env GOPATH)/bin" $(GO) test -count=1 -timeout $(TEST_TIMEOUT) ./...

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...

openapi:
	$(GO) run ./cmd/ccgateway openapi --out openapi

# The Go client in openapi/go, generated from the 3.0 copy by oapi-codegen (pinned as
# a tool in go.mod) with its default settings. A test fails when it is stale.
sdk-go: openapi
	cd openapi/go && $(GO) generate

# The OpenAPI linters (Redocly CLI, Spectral), pinned in openapi/lint/package.json,
# installed into .tools/openapi-lint for the spec lint test.
OPENAPI_LINT := $(TOOLS_DIR)/openapi-lint
openapi-tools: $(OPENAPI_LINT)/node_modules/.package-lock.json

$(OPENAPI_LINT)/node_modules/.package-lock.json: openapi/lint/package.json openapi/lint/package-lock.json
	mkdir -p $(OPENAPI_LINT)
	cp openapi/lint/package.json openapi/lint/package-lock.json $(OPENAPI_LINT)/
	npm ci --prefix $(OPENAPI_LINT) --no-audit --no-fund --loglevel=error

# Installs the pinned Claude Code CLI into .tools (git-ignored).
tools: $(CLAUDE_BIN)

$(CLAUDE_BIN):
	mkdir -p $(TOOLS_DIR)
	npm install --prefix $(TOOLS_DIR) --no-audit --no-fund --loglevel=error @anthropic-ai/claude-code@$(CLAUDE_VERSION)
	$(CLAUDE_BIN) --version

# Regenerates the protobuf messages of actors/messages (needs protoc and protoc-gen-go;
# .ci/run installs both). A test fails when the committed code is stale.
proto: proto-tools
	cd actors/messages && PATH="$$PATH:$$($(GO) env GOPATH)/bin" protoc --proto_path=. --go_out=. --go_opt=paths=source_relative messages.proto

# Builds the bundled WASM policies (plugins/*) reproducibly into policies/bundled,
# which the binary embeds. A test fails when the committed .wasm files are stale.
plugins:
	scripts/build-plugins.sh

generate: proto plugins openapi sdk-go ts-client

console: admin-web/dist/index.html

$(WEB_DEPS): admin-web/package.json admin-web/package-lock.json
	cd admin-web && npm ci --no-audit --no-fund --loglevel=error
	touch $@

admin-web/dist/index.html: $(WEB_DEPS) $(WEB_SRC)
	cd admin-web && npm run build

# What the TypeScript client's tests need (openapi/ts/package.json: TypeScript, Vitest,
# the Vercel AI SDK): npm ci when the lock file changes. The live suite
# (TestTypeScriptClient in openapi/ts) fails without it.
ts-deps: $(TS_DEPS)

$(TS_DEPS): openapi/ts/package.json openapi/ts/package-lock.json
	cd openapi/ts && npm ci --no-audit --no-fund --loglevel=error
	touch $@

# The typed TypeScript client's types (openapi/ts/schema.d.ts), from openapi.yaml.
# A Vitest test fails when the committed copy is stale.
ts-client: openapi $(WEB_DEPS)
	cd admin-web && npm run generate

# The console's unit tests alone (make test runs them too).
web-test: $(WEB_DEPS)
	cd admin-web && npx vitest run

# Debian's headless Chromium for the console's end-to-end tests (and a CJK font for
# the zh-CN screenshots); installed with apt-get when missing and root.
chromium:
	@command -v chromium >/dev/null || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null && \
		{ apt-get update -qq && apt-get install -y -qq chromium fonts-wqy-microhei; } ; } || \
		{ echo "chromium is missing: apt-get install chromium (Debian/Ubuntu)"; exit 1; }
	@command -v chromium >/dev/null

# PNGs of every console page (light, dark, zh-CN, phone width) from a real gateway
# with the real CLI and the fake Anthropic API, into docs/screenshots.
screenshots: tools console chromium
	SCREENSHOT_DIR=$(CURDIR)/docs/screenshots $(GO) test -count=1 -run TestConsoleEndToEnd -v ./admin-web

# protoc (Debian's protobuf-compiler; installed with apt-get when missing and root)
# and protoc-gen-go at the version go.mod pins.
proto-tools:
	@command -v protoc >/dev/null || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null && \
		{ apt-get update -qq && apt-get install -y -qq protobuf-compiler; } ; } || \
		{ echo "protoc is missing: install protobuf-compiler (Debian/Ubuntu) or protobuf (Homebrew)"; exit 1; }
	@command -v protoc >/dev/null
	$(GO) install google.golang.org/protobuf/cmd/protoc-gen-go@$$($(GO) list -m -f '{{.Version}}' google.golang.org/protobuf)

clean:
	rm -rf bin admin-web/node_modules/.installed openapi/ts/node_modules/.installed
	find admin-web/dist -mindepth 1 ! -name placeholder.txt -delete
