#!/usr/bin/env bash
# Installs the Debian packages ftzport builds and tests with. Idempotent: only
# what is missing is installed, so a second run costs one dpkg query.
set -euo pipefail
pkgs=(build-essential cmake ninja-build pkg-config ccache
      libpugixml-dev libsimdjson-dev libboost-dev libboost-system-dev
      libssl-dev libsqlite3-dev zlib1g-dev libisal-dev libcli11-dev libspdlog-dev libfmt-dev
      libtomlplusplus-dev libgtest-dev libgmock-dev libbenchmark-dev libmimalloc-dev libabsl-dev
      curl python3 sqlite3)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "install-deps: installing ${missing[*]}"
  if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; else SUDO=; fi
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -q || true
  $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
