#!/usr/bin/env bash
# build-plugins.sh builds the bundled WASM policies reproducibly.
#
#   scripts/build-plugins.sh [OUT_DIR]     (default: policies/bundled)
#
# The same sources, flags and Go toolchain give byte-identical files; the staleness
# test in package policies runs this script into a temporary directory and compares.
# GOVERSION in OUT_DIR records the toolchain that built the committed files.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="${1:-$root/policies/bundled}"
mkdir -p "$out"
out="$(cd "$out" && pwd)"

# Fixed build environment: nothing from the caller's GOFLAGS/GOWASM/etc. leaks in.
export GOOS=wasip1 GOARCH=wasm CGO_ENABLED=0 GOWASM= GOEXPERIMENT= GOFLAGS=-mod=readonly
unset GOAMD64 GOARM64 GODEBUG

cd "$root"
plugins=(ratelimit permissions examples/timewindow)
for p in "${plugins[@]}"; do
	name="$(basename "$p")"
	go build -buildmode=c-shared -trimpath -buildvcs=false -ldflags='-s -w -buildid=' \
		-o "$out/$name.wasm" "./plugins/$p"
done
go env GOVERSION >"$out/GOVERSION"
