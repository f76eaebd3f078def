#!/usr/bin/env bash
# Roll the origin to an image tag through a deploy hook — the one replaceable step between this
# pipeline and wherever the origin runs (Fly, Render, Cloud Run, Kubernetes, a VM with a webhook…).
#
#   ORIGIN_DEPLOY_HOOK_URL=https://… ORIGIN_DEPLOY_HOOK_TOKEN=… scripts/deploy-origin.sh <image-ref> <environment>
#
# Contract of the hook: POST JSON {"image": "...", "environment": "..."} with a Bearer token;
# it answers 2xx with JSON that may carry {"previous_image": "..."} (used for rollback). The
# previous image is written to $GITHUB_OUTPUT as previous_image when running in Actions.
set -euo pipefail
image="${1:?usage: deploy-origin.sh <image-ref> <environment>}"
environment="${2:?usage: deploy-origin.sh <image-ref> <environment>}"
: "${ORIGIN_DEPLOY_HOOK_URL:?ORIGIN_DEPLOY_HOOK_URL is not set}"

body=$(node -e 'process.stdout.write(JSON.stringify({ image: process.argv[1], environment: process.argv[2] }))' "$image" "$environment")
response=$(curl --fail-with-body --silent --show-error --max-time 120 --retry 3 --retry-all-errors \
  -H "Authorization: Bearer ${ORIGIN_DEPLOY_HOOK_TOKEN:-}" -H 'Content-Type: application/json' \
  --data "$body" "$ORIGIN_DEPLOY_HOOK_URL")
previous=$(printf '%s' "$response" | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{try{process.stdout.write(JSON.parse(s).previous_image??"")}catch{}})')
echo "origin ($environment) rolled to $image${previous:+ (previous: $previous)}"
if [ -n "${GITHUB_OUTPUT:-}" ]; then echo "previous_image=$previous" >> "$GITHUB_OUTPUT"; fi
