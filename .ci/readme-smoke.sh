#!/usr/bin/env bash
# A new user's first minute: clone the repository into a temporary directory, run the README's
# first command there exactly as written (it makes its own venv) on a free port, and wait for
# /readyz. pip's cache is reused, so this costs about a minute, not a full download.
#
#   .ci/readme-smoke.sh [repo]      # default: this checkout (its committed HEAD)
set -euo pipefail
repo="${1:-$(cd "$(dirname "$0")/.." && pwd)}"
limit="${MUSBOT_SMOKE_SECONDS:-420}"   # bounded: the install and the start together

work="$(mktemp -d)"
pid=""
cleanup() {
    if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
        kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
        for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
        kill -KILL -- "-$pid" 2>/dev/null || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT

git clone --quiet "$repo" "$work/musbot"
cd "$work/musbot"
# The README's first command: the first line of its first ```sh block.
first="$(awk '/^```sh$/ {getline; print; exit}' README.md)"
case "$first" in
    *"musbot run"*) ;;
    *) echo "readme-smoke: the README's first command does not run musbot: $first" >&2; exit 1 ;;
esac
port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
echo "readme-smoke: \`$first\` in a fresh clone, MUSBOT_PORT=$port"
env -u VIRTUAL_ENV -u PYTHONPATH MUSBOT_PORT="$port" setsid bash -c "$first" >"$work/out.log" 2>&1 &
pid=$!

deadline=$((SECONDS + limit))
until curl -fsS "http://127.0.0.1:$port/readyz" >"$work/ready.json" 2>/dev/null; do
    if ! kill -0 "$pid" 2>/dev/null; then
        echo "readme-smoke: the command ended before it was ready; its output:" >&2
        tail -40 "$work/out.log" >&2
        exit 1
    fi
    if [ "$SECONDS" -ge "$deadline" ]; then
        echo "readme-smoke: not ready within ${limit}s; its output:" >&2
        tail -40 "$work/out.log" >&2
        exit 1
    fi
    sleep 1
done
echo "readme-smoke: ready after ${SECONDS}s: $(cat "$work/ready.json")"
curl -fsS "http://127.0.0.1:$port/metrics" | grep -q '^musbot_outbox_backlog ' \
    || { echo "readme-smoke: /metrics has no musbot_outbox_backlog" >&2; exit 1; }
