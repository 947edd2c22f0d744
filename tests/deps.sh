#!/usr/bin/env bash
# Installs the Debian packages ctrace needs (build: the first group; tests:
# the second) when they are missing. Usage: tests/deps.sh [build|test]
set -euo pipefail
build_pkgs=(cmake gcc make pkg-config python3.11-dev libcjson-dev zlib1g-dev libmicrohttpd-dev)
test_pkgs=(python3-pytest libpython3.11-testsuite python3.11-venv chromium nodejs npm clang libclang-rt-14-dev)
want=("${build_pkgs[@]}")
[ "${1:-build}" = test ] && want+=("${test_pkgs[@]}")
missing=()
for p in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# node and npm may come from elsewhere than Debian's packages
if command -v node >/dev/null && command -v npm >/dev/null; then
  missing=("${missing[@]/nodejs}"); missing=("${missing[@]/npm}")
fi
read -r -a missing <<< "${missing[*]}"
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}"
fi
