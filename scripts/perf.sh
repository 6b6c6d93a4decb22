#!/usr/bin/env bash
# Reproduces the tables of docs/performance.md on this machine: builds ccgateway and
# cmd/fakeanthropic, starts a fake Anthropic API on loopback, a gateway on a fresh
# data dir whose CLIs point at it, and runs `ccgateway loadtest` scenarios.
#
#   scripts/perf.sh steady      new conversations at steady state (cap full) vs a cold `claude -p`
#   scripts/perf.sh continued   continued turns (SSE, WebSocket, REST), 1 key vs 10 keys
#   scripts/perf.sh resume      a continued turn through the gateway vs `claude -p --resume`
#   scripts/perf.sh streams N   N streams held open on a slow upstream (RSS per open stream)
#   scripts/perf.sh budget      the CLI memory budget at work
#   scripts/perf.sh burst [N]   N (1000) requests at once on one API key (KEYS=k: spread over k keys), new conversations
#   scripts/perf.sh overhead    live turns direct on a CLI process vs through the gateway
#
# Needs the pinned CLI (make tools). Prints the load average before and after each run.
# Extra arguments after the scenario's own go to `ccgateway serve` in burst.
set -euo pipefail
cd "$(dirname "$0")/.."
CLAUDE=${CLAUDE:-$PWD/.tools/node_modules/.bin/claude}
WORK=$(mktemp -d /tmp/ccgateway-perf.XXXXXX)
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$WORK"; }
trap cleanup EXIT

go build -o "$WORK/ccgateway" ./cmd/ccgateway
go build -o "$WORK/fakeanthropic" ./cmd/fakeanthropic
load() { echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"; }

# fake [flags]: starts the fake API; sets FAKE_URL.
fake() {
  "$WORK/fakeanthropic" --url-file "$WORK/fake.url" "$@" >/dev/null &
  PIDS+=($!)
  for _ in $(seq 50); do [ -s "$WORK/fake.url" ] && break; sleep 0.1; done
  FAKE_URL=$(cat "$WORK/fake.url")
}

# gateway NKEYS [serve flags]: starts a gateway; sets GW_URL, GW_PID, CCGATEWAY_LOADTEST_KEYS.
gateway() {
  local n=$1; shift
  local data="$WORK/data" keys=""
  for i in $(seq "$n"); do
    k=$("$WORK/ccgateway" keys create --name "load$i" --json --data-dir "$data" | sed -n 's/.*"key": *"\([^"]*\)".*/\1/p')
    keys="$keys${keys:+,}$k"
  done
  export CCGATEWAY_LOADTEST_KEYS=$keys
  local port
  port=$(python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])')
  ANTHROPIC_BASE_URL=$FAKE_URL ANTHROPIC_API_KEY=sk-ant-fake CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1 \
    CCGATEWAY_CLAUDE_PATH=$CLAUDE "$WORK/ccgateway" serve --data-dir "$data" --listen "127.0.0.1:$port" \
    --log-level warn "$@" 2>"$WORK/gateway.log" &
  GW_PID=$!
  PIDS+=($GW_PID)
  GW_URL=http://127.0.0.1:$port
  for _ in $(seq 100); do curl -fs "$GW_URL/healthz" >/dev/null && return; sleep 0.1; done
  cat "$WORK/gateway.log"; exit 1
}

lt() { echo "\$ ccgateway loadtest $*"; load; "$WORK/ccgateway" loadtest --url "$GW_URL" --gateway-pid "$GW_PID" "$@"; load; echo; }

# cold N: median wall time of N one-shot `claude -p` runs with the gateway's CLI flags.
cold() {
  local n=$1 dir="$WORK/cold" times=()
  mkdir -p "$dir/claude" "$dir/work"
  for i in $(seq "$n"); do
    s=$(date +%s%N)
    (cd "$dir/work" && CLAUDE_CONFIG_DIR="$dir/claude" ANTHROPIC_BASE_URL=$FAKE_URL ANTHROPIC_API_KEY=sk-ant-fake \
      CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1 "$CLAUDE" -p --tools "" --setting-sources "" --strict-mcp-config \
      --model sonnet "Say hello." >/dev/null)
    times+=($(( ($(date +%s%N) - s) / 1000000 )))
  done
  printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END {printf "cold claude -p: n=%d median %d ms (min %d, max %d)\n", NR, a[int((NR+1)/2)], a[1], a[NR]}'
}

# resume N: median wall time of N `claude -p --resume` runs of one session (each adds a turn).
resume() {
  local n=$1 dir="$WORK/resume" times=() sid
  mkdir -p "$dir/claude" "$dir/work"
  sid=$(python3 -c 'import uuid;print(uuid.uuid4())')
  run() { (cd "$dir/work" && CLAUDE_CONFIG_DIR="$dir/claude" ANTHROPIC_BASE_URL=$FAKE_URL ANTHROPIC_API_KEY=sk-ant-fake \
    CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1 "$CLAUDE" -p --tools "" --setting-sources "" --strict-mcp-config \
    --model sonnet "$@" >/dev/null); }
  run --session-id "$sid" "Say hello."
  for i in $(seq "$n"); do
    s=$(date +%s%N)
    run --resume "$sid" "And again."
    times+=($(( ($(date +%s%N) - s) / 1000000 )))
  done
  printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END {printf "claude -p --resume: n=%d median %d ms (min %d, max %d)\n", NR, a[int((NR+1)/2)], a[1], a[NR]}'
}

case "${1:-}" in
steady)
  fake
  load; cold 5
  gateway 1 --max-processes 10 --prewarm 1 --prewarm-min-idle 5s
  # Fill the cap with ten idle conversations, let them age past prewarm-min-idle...
  "$WORK/ccgateway" loadtest --url "$GW_URL" --transport rest --mode new --clients 10 --requests 10 >/dev/null
  sleep 8
  # ...then new conversations two seconds apart, as in issue 14's black-box run.
  lt --transport rest --mode new --clients 1 --requests 6 --rate 0.5
  lt --transport rest --mode new --clients 1 --requests 10 --rate 0.2
  # Which process each turn's first token came from (spare = prewarmed, spawn = cold).
  curl -fs "$GW_URL/metrics" | grep -E '^ccgateway_turn_time_to_first_token_seconds_(count|sum)' || true
  ;;
resume)
  fake
  load; resume 10
  gateway 1 --max-processes 10
  lt --transport rest --mode continued --clients 1 --requests 50
  lt --transport sse --mode continued --clients 1 --requests 50
  ;;
continued)
  fake
  for keys in 1 10; do
    gateway "$keys" --max-processes 10
    for tr in sse ws rest; do lt --transport "$tr" --mode continued --clients 10 --duration 20s; done
    kill "$GW_PID"; wait "$GW_PID" 2>/dev/null || true; rm -rf "$WORK/data"
  done
  ;;
streams)
  n=${2:-100}
  # A slow upstream: each reply streams 20 deltas 1 s apart. Ten CLIs run turns;
  # the other streams wait in the queue, held open.
  fake --chunks 20 --chunk-delay 1s
  gateway 10 --max-processes 10 --queue-size "$n" --queue-timeout 10m --sse-keepalive 5s
  lt --transport sse --mode new --clients "$n" --duration 30s --timeout 10m --sample-every 1s
  ;;
budget)
  fake
  gateway 1 --max-processes 10 --prewarm 1 --cli-memory-budget 1200MiB
  lt --transport sse --mode new --clients 4 --requests 20
  curl -fs "$GW_URL/metrics" | grep -E '^ccgateway_cli_(rss|memory_budget)_bytes' || true
  ;;
burst)
  # Every client sends one request at the same moment, all on one key (or KEYS), each a new
  # conversation (so each needs a CLI process): admission, the per-key cap and the
  # node queue decide who waits and who is refused at once. The clients share one
  # address, so the per-address connection cap is off.
  n=${2:-1000}
  fake
  gateway "${KEYS:-1}" --max-processes 10 --max-conns-per-ip 0 "${@:3}"
  lt --transport sse --mode new --clients "$n" --requests "$n" --timeout 3m --sample-every 250ms
  ;;
overhead)
  load
  go test -count=1 ./cmd/ccgateway -run '^$' -bench GatewayOverhead -benchtime "${2:-200}x"
  load
  ;;
*)
  sed -n '2,15p' "$0"; exit 2 ;;
esac
