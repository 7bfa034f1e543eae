#!/usr/bin/env bash
# The contract test: schemathesis, with every check and every phase (stateful included),
# against the real daemon on the demo city, once per role, so that each role's answers
# (403s included) are held to the OpenAPI document the daemon serves.
#
#   tests/contract/run.sh [path/to/spbe-desk]     (default: target/debug/spbe-desk)
#
# Needs schemathesis 4 (`python3 -m pip install schemathesis==4.32.5`). ST_SEED and
# ST_MAX_EXAMPLES override the fixed seed and the examples per operation, to explore
# further by hand; CI uses the defaults so that a failure replays exactly.
set -euo pipefail
bin=$(realpath "${1:-target/debug/spbe-desk}")
seed=${ST_SEED:-20261130}
examples=${ST_MAX_EXAMPLES:-25}
here=$(cd "$(dirname "$0")" && pwd)

work=$(mktemp -d)
trap 'kill "$daemon" 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$work"' EXIT
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')

cd "$work"
SPBE_DESK_HTTP__BIND="127.0.0.1:$port" \
SPBE_DESK_HTTP__RATE_LIMIT=off \
SPBE_DESK_HTTP__RATE_LIMIT_PER_ADDRESS=off \
SPBE_DESK_LOG__LEVEL=warn \
  "$bin" demo >demo.log 2>&1 &
daemon=$!
for _ in $(seq 1 100); do
  curl -fsS "http://127.0.0.1:$port/readyz" >/dev/null 2>&1 && break
  kill -0 "$daemon" 2>/dev/null || { cat demo.log; exit 1; }
  sleep 0.1
done
# shellcheck disable=SC1091
source var/demo-tokens.env

status=0
for role in ADMIN SUPERVISOR OPERATOR TECH_DUKCAPIL COORDINATOR AUDITOR; do
  token_var="${role}_TOKEN"
  echo "== schemathesis as ${role,,}"
  python3 -c 'import sys; from schemathesis.cli import schemathesis; sys.argv[0] = "st"; schemathesis()' \
    --config-file "$here/schemathesis.toml" run "http://127.0.0.1:$port/api/v1/openapi.json" \
    --checks all \
    --phases examples,coverage,fuzzing,stateful \
    --max-examples "$examples" \
    --seed "$seed" \
    --workers 1 \
    -H "Authorization: Bearer ${!token_var}" \
    --no-color \
    || status=1
done
grep -i "panicked" demo.log && status=1
exit $status
