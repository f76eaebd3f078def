#!/usr/bin/env bash
# Deploy the worker to a wrangler environment with ORIGIN_URL pointing at one origin slot; the
# worker's secrets go up with the same version (`--secrets-file`), so code, vars and secrets switch
# together and `wrangler rollback` restores all three.
#
#   scripts/deploy-worker.sh <wrangler-env> <origin-url> [more `wrangler deploy` arguments…]
#
# Needs CLOUDFLARE_API_TOKEN and CLOUDFLARE_ACCOUNT_ID (unless --dry-run). Reads the worker's
# secrets from the environment: ORIGIN_AUTH_TOKEN, JWT_SECRET, SIGNING_KEY, UPSTASH_REDIS_REST_TOKEN,
# CF_API_TOKEN. Only the non-empty ones are sent; the others (and SIGNING_KEY_PREVIOUS, set by hand)
# keep their current value. Uses the wrangler of package-lock.json (node_modules/.bin/wrangler).
set -euo pipefail
environment="${1:?usage: deploy-worker.sh <wrangler-env> <origin-url> [wrangler deploy args…]}"
origin_url="${2:?usage: deploy-worker.sh <wrangler-env> <origin-url> [wrangler deploy args…]}"
shift 2
case "$origin_url" in
  http://* | https://*) ;;
  *)
    echo "deploy-worker: the origin URL must be http(s) (got \"$origin_url\")" >&2
    exit 2
    ;;
esac

root="$(cd "$(dirname "$0")/.." && pwd)"
secrets=$(mktemp)
trap 'rm -f "$secrets"' EXIT
chmod 600 "$secrets"
node -e '
  const names = ["ORIGIN_AUTH_TOKEN", "JWT_SECRET", "SIGNING_KEY", "UPSTASH_REDIS_REST_TOKEN", "CF_API_TOKEN"];
  const set = Object.fromEntries(names.filter((n) => process.env[n]).map((n) => [n, process.env[n]]));
  process.stdout.write(JSON.stringify(set));
' > "$secrets"

# The web console: the static assets wrangler.toml [assets] uploads with the worker.
(cd "$root" && node --import tsx scripts/build-console.ts)

"$root/node_modules/.bin/wrangler" deploy --env "$environment" --var "ORIGIN_URL:$origin_url" \
  --secrets-file "$secrets" "$@"
