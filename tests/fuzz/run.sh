#!/usr/bin/env bash
# Builds the trace reader's libFuzzer target with clang (AddressSanitizer and
# UndefinedBehaviorSanitizer on) and runs it for a while.
#   tests/fuzz/run.sh OUT_DIR [SECONDS]        (CLANG=... picks the compiler)
# New inputs that reach new code go to OUT_DIR/corpus; a crash leaves its
# input as OUT_DIR/crash-* and makes the script fail.
set -euo pipefail
src=$(cd "$(dirname "$0")/../.." && pwd)
out=${1:?usage: run.sh OUT_DIR [SECONDS]}
secs=${2:-20}
clang=${CLANG:-clang}
mkdir -p "$out/corpus"
"$clang" -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
  -I"$src" -DCTRACE_CORE_BUILD \
  "$src/tests/fuzz/fuzz_reader.c" "$src/core/reader.c" "$src/core/jsonr.c" "$src/core/error.c" -lz \
  -o "$out/fuzz_reader"
cd "$out"
exec ./fuzz_reader -max_total_time="$secs" -max_len=8192 -timeout=10 -print_final_stats=1 \
  corpus "$src/tests/fuzz/corpus"
