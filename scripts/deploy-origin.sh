#!/usr/bin/env bash
# The origin's blue-green slots, driven through a deploy hook — the one replaceable step between
# this pipeline and wherever the origin runs (Fly, Render, Cloud Run, Kubernetes, a VM with a
# webhook…). The pipeline decides what to do; the hook knows how, and remembers which slot is live.
#
#   scripts/deploy-origin.sh status  <environment>                  → live_slot=, live_url=, live_image=, idle_slot=
#   scripts/deploy-origin.sh deploy  <environment> <slot> <image>   → the slot's base URL
#   scripts/deploy-origin.sh promote <environment> <slot>           → (nothing)
#   scripts/deploy-origin.sh retire  <environment> <slot>           → (nothing)
#
# <slot> is blue or green. Needs ORIGIN_DEPLOY_HOOK_URL (and ORIGIN_DEPLOY_HOOK_TOKEN, sent as a
# Bearer token). Results go to stdout (key=value lines; `deploy` prints the URL alone) and, in
# GitHub Actions, to $GITHUB_OUTPUT as the same keys (`deploy` writes url=). Messages go to stderr.
#
# Hook contract: POST JSON {"action", "environment", "slot"?, "image"?}; answer 2xx with JSON.
#   status  → {"live": {"slot": "blue", "url": "https://…", "image": "…"}} or {"live": null}
#   deploy  → {"url": "https://…"}  start (or replace) that slot with the image, beside the live
#             one, and answer its base URL, reachable from the CI runner and from Cloudflare
#   promote → {}  record the slot as live (and move any stable alias, e.g. the ORIGIN_URL in
#             wrangler.toml, to it)
#   retire  → {}  stop the slot (never the live one)
# Every action must be idempotent: the script retries on network errors and 5xx.
set -euo pipefail

usage() {
  echo "usage: deploy-origin.sh status <env> | deploy <env> <slot> <image> | promote <env> <slot> | retire <env> <slot>" >&2
  exit 2
}

action="${1:-}"
environment="${2:-}"
slot="${3:-}"
image="${4:-}"
case "$action" in
  status) [ -n "$environment" ] || usage ;;
  deploy) [ -n "$environment" ] && [ -n "$slot" ] && [ -n "$image" ] || usage ;;
  promote | retire) [ -n "$environment" ] && [ -n "$slot" ] || usage ;;
  *) usage ;;
esac
if [ -n "$slot" ] && [ "$slot" != blue ] && [ "$slot" != green ]; then
  echo "deploy-origin: slot must be blue or green (got \"$slot\")" >&2
  exit 2
fi
: "${ORIGIN_DEPLOY_HOOK_URL:?ORIGIN_DEPLOY_HOOK_URL is not set}"

body=$(node -e '
  const [action, environment, slot, image] = process.argv.slice(1);
  process.stdout.write(JSON.stringify({ action, environment, ...(slot && { slot }), ...(image && { image }) }));
' "$action" "$environment" "$slot" "$image")

answer=$(mktemp)
trap 'rm -f "$answer"' EXIT
# -o a file (truncated on each retry), so a retried 5xx's body does not end up in the answer.
status=$(curl --silent --show-error --max-time 300 --retry 3 --output "$answer" --write-out '%{http_code}' \
  -H "Authorization: Bearer ${ORIGIN_DEPLOY_HOOK_TOKEN:-}" -H 'Content-Type: application/json' \
  --data "$body" "$ORIGIN_DEPLOY_HOOK_URL") || status=000
response=$(cat "$answer")
case "$status" in
  2??) ;;
  *)
    echo "deploy-origin: the hook refused $action ($environment${slot:+ $slot}): HTTP $status ${response:-(no body)}" >&2
    exit 1
    ;;
esac

# The hook's answer → key=value lines, checked.
result=$(printf '%s' "$response" | node -e '
  const action = process.argv[1];
  const fail = (m) => { process.stderr.write(`deploy-origin: ${m}\n`); process.exit(1); };
  const isUrl = (u) => { try { return ["http:", "https:"].includes(new URL(u).protocol); } catch { return false; } };
  let s = "";
  process.stdin.on("data", (d) => (s += d)).on("end", () => {
    let r;
    try { r = s.trim() === "" ? {} : JSON.parse(s); } catch { fail(`the hook did not answer JSON: ${s.slice(0, 200)}`); }
    const out = {};
    if (action === "status") {
      const live = r.live ?? null;
      if (live !== null && !["blue", "green"].includes(live.slot)) fail(`status: live.slot must be blue or green, got ${JSON.stringify(live.slot)}`);
      if (live !== null && !isUrl(live.url)) fail(`status: live.url is not an http(s) URL: ${JSON.stringify(live.url)}`);
      out.live_slot = live?.slot ?? "";
      out.live_url = live?.url?.replace(/\/+$/, "") ?? "";
      out.live_image = live?.image ?? "";
      out.idle_slot = live?.slot === "blue" ? "green" : "blue";
    } else if (action === "deploy") {
      if (!isUrl(r.url)) fail(`deploy: the hook must answer {"url": "https://…"}, got ${s.slice(0, 200)}`);
      out.url = r.url.replace(/\/+$/, "");
    }
    for (const [k, v] of Object.entries(out)) {
      if (/[\r\n]/.test(v)) fail(`${k} contains a line break`);
      process.stdout.write(`${k}=${v}\n`);
    }
  });
' "$action")

if [ -n "${GITHUB_OUTPUT:-}" ] && [ -n "$result" ]; then printf '%s\n' "$result" >> "$GITHUB_OUTPUT"; fi
case "$action" in
  status)
    echo "origin ($environment): $(printf '%s' "$result" | tr '\n' ' ')" >&2
    printf '%s\n' "$result"
    ;;
  deploy)
    url="${result#url=}"
    echo "origin ($environment) slot $slot runs $image at $url" >&2
    printf '%s\n' "$url"
    ;;
  promote) echo "origin ($environment) slot $slot is live" >&2 ;;
  retire) echo "origin ($environment) slot $slot retired" >&2 ;;
esac
