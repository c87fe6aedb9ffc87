#!/usr/bin/env bash
# Fuzz smoke for CI: builds the cargo-fuzz targets (fuzz/) on the stable toolchain and runs each
# for a short time, starting from the committed crash regressions (fuzz/regressions/<target>/)
# and the committed minimised corpus (fuzz/corpus/<target>.tar.gz; a local fuzz/corpus/<target>/
# directory is used instead when there is one).
#
# A crash, a panic, an invariant broken or one input taking over 10 s fails the run; libFuzzer
# leaves the input in fuzz/artifacts/<target>/. Replay it with
#   cargo fuzz run --sanitizer none <target> fuzz/artifacts/<target>/<file>
# and, once fixed, copy it into fuzz/regressions/<target>/ (tests/fuzz_regressions.rs replays
# every file there under plain `cargo test`).
#
# usage: scripts/fuzz-smoke.sh [SECONDS_PER_TARGET]   (default 25)
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=${1:-25}
cargo_fuzz_version=0.13.2
targets=(split fallback layout pipeline)

if ! cargo fuzz --version 2>/dev/null | grep -qF "$cargo_fuzz_version"; then
  echo "== installing cargo-fuzz $cargo_fuzz_version"
  cargo install --locked "cargo-fuzz@$cargo_fuzz_version"
fi

# Stable has no -Zsanitizer: build without a sanitizer. The coverage instrumentation
# (-Cpasses=sancov-module, -Cllvm-args=...) and libFuzzer itself work on stable.
flags=(--fuzz-dir fuzz --sanitizer none)

echo "== cargo fuzz build"
start=$SECONDS
cargo fuzz build "${flags[@]}"
echo "built in $((SECONDS - start)) s"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
status=0
for t in "${targets[@]}"; do
  case $t in
    split) max_len=65536 ;;
    fallback) max_len=8192 ;;
    layout) max_len=16384 ;;
    pipeline) max_len=32768 ;;
  esac
  mkdir -p "$work/$t"
  echo "== fuzz $t for ${seconds} s"
  # new inputs go to the scratch corpus (the first directory), not into the repository
  set +e
  # seed from the committed crash regressions and the committed minimised corpus
  # (fuzz/corpus/<target>.tar.gz), or a local corpus directory when there is one
  seeds=()
  if [ ! -d "fuzz/corpus/$t" ] && [ -f "fuzz/corpus/$t.tar.gz" ]; then
    mkdir -p "$work/seed"
    tar -xzf "fuzz/corpus/$t.tar.gz" -C "$work/seed"
    seeds+=("$work/seed/$t")
  fi
  for d in "fuzz/corpus/$t" "fuzz/regressions/$t"; do
    if [ -d "$d" ]; then seeds+=("$d"); fi
  done
  RAYON_NUM_THREADS=1 cargo fuzz run "${flags[@]}" "$t" "$work/$t" ${seeds[@]+"${seeds[@]}"} -- \
    -max_total_time="$seconds" -max_len="$max_len" -timeout=10 -rss_limit_mb=2048 \
    -print_final_stats=1 >"$work/$t.log" 2>&1
  code=$?
  set -e
  grep -E '^#[0-9]+ +(INITED|DONE)|^stat::(number_of_executed_units|average_exec_per_sec|peak_rss_mb)' \
    "$work/$t.log" || true
  if [ "$code" -ne 0 ]; then
    echo "fuzz target $t failed (exit $code):" >&2
    grep -v -E '^#[0-9]+ +(NEW|REDUCE|pulse)' "$work/$t.log" | tail -60 >&2
    status=1
  fi
done
exit "$status"
