#!/usr/bin/env bash
# Poll a health URL until it answers 200, with retries: scripts/wait-healthy.sh URL [attempts] [delay-seconds]
set -euo pipefail
url="${1:?usage: wait-healthy.sh URL [attempts] [delay]}"
attempts="${2:-30}"
delay="${3:-10}"
body=$(mktemp)
trap 'rm -f "$body"' EXIT
for i in $(seq 1 "$attempts"); do
  code=$(curl --silent --output "$body" --write-out '%{http_code}' --max-time 10 "$url" || true)
  if [ "$code" = "200" ]; then
    echo "healthy after $i attempt(s): $(cat "$body")"
    exit 0
  fi
  echo "attempt $i/$attempts: HTTP $code"
  sleep "$delay"
done
echo "::error::$url did not become healthy" >&2
exit 1
