#!/usr/bin/env bash
# Starts a three-node ccgateway cluster on this machine, on the local PostgreSQL:
# HTTP on 127.0.0.1:8081..8083, gossip on 127.0.0.1:7946..7948, data in
# ./data/cluster-demo/node-{a,b,c}. Ctrl-C stops the three nodes (each leaves the
# cluster, drains its turns and releases its conversations).
#
#   DATABASE_URL   PostgreSQL URL (default postgres://postgres@127.0.0.1:5432/ccgateway?sslmode=disable;
#                  the database must exist: createdb ccgateway)
#   ADMIN_PASSWORD the local admin's password on every node (default cluster-demo)
#   CLAUDE_PATH    the Claude CLI (default: claude on PATH, else .tools from `make tools`)
set -euo pipefail
cd "$(dirname "$0")/.."

db="${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/ccgateway?sslmode=disable}"
pw="${ADMIN_PASSWORD:-cluster-demo}"
claude="${CLAUDE_PATH:-$(command -v claude || echo "$PWD/.tools/node_modules/.bin/claude")}"
secret="$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')"
jwt="$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')"

make build >/dev/null
./bin/ccgateway migrate --database-url "$db"

pids=()
stop() {
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  wait
}
trap stop INT TERM EXIT

i=0
for n in a b c; do
  http="127.0.0.1:$((8081 + i))"
  gossip="127.0.0.1:$((7946 + i))"
  join=()
  [ "$n" != a ] && join=(--cluster-join 127.0.0.1:7946)
  mkdir -p "data/cluster-demo/node-$n"
  CCGATEWAY_ADMIN_PASSWORD="$pw" CCGATEWAY_JWT_SECRET="$jwt" CCGATEWAY_CLUSTER_SECRET="$secret" \
    ./bin/ccgateway serve --listen "$http" --data-dir "data/cluster-demo/node-$n" --node-name "node-$n" \
    --database-url "$db" --claude-path "$claude" --cluster-name demo --cluster-gossip "$gossip" "${join[@]}" \
    2> >(sed "s/^/[node-$n] /" >&2) &
  pids+=($!)
  i=$((i + 1))
  [ "$n" = a ] && sleep 3 # the first node migrates and starts alone
done

echo "three nodes: http://127.0.0.1:8081 http://127.0.0.1:8082 http://127.0.0.1:8083 (admin password: $pw)" >&2
echo "members:  curl -s -H \"Authorization: Bearer \$TOKEN\" http://127.0.0.1:8082/admin/cluster" >&2
wait
