#!/usr/bin/env bash
# The whole test suite, as CI runs it (.ci/run calls this): installs what is
# missing, builds ctrace twice (release, and with AddressSanitizer +
# UndefinedBehaviorSanitizer), and runs CTest on both (every label on the
# release build; unit and e2e on the sanitizer build).
set -euo pipefail
cd "$(dirname "$0")/.."
bash tests/deps.sh test
if [ -f tests/browser/package.json ]; then
  (cd tests/browser && npm ci --no-audit --no-fund --silent)
fi
jobs=$(nproc)
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$jobs"
ctest --test-dir build --output-on-failure -j"$jobs"

cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DCTRACE_SANITIZE=ON >/dev/null
cmake --build build-asan -j"$jobs"
# CPython itself does not free everything at exit, so leak checking is
# left to the unit tests, which do not embed Python.
ASAN_OPTIONS=detect_leaks=0 UBSAN_OPTIONS=print_stacktrace=1 \
  ctest --test-dir build-asan --output-on-failure -j"$jobs" -L 'unit|e2e' -LE slow
