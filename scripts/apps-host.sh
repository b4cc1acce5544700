#!/usr/bin/env bash
# apps-host.sh: what the MCP Apps browser tests (tests/apps) need besides Python, installed once:
#   - Debian's chromium (apt-get, when missing and run as root), driven headless by Playwright;
#   - @modelcontextprotocol/ext-apps, pinned with its peers, bundled by esbuild into one ES module
#     (app-bridge.js: AppBridge + PostMessageTransport) that the tests' host page loads.
# Cache: $QUANT_MCP_NODE_CACHE/apps-host (default ~/.cache/quant-mcp/node-tools/apps-host, ~15 MB).
# Prints the bundle's path on its last line. Exit 2 when something cannot be installed.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source=lib/node-tools.sh
. "$HERE/lib/node-tools.sh"  # NODE_CACHE and die

EXT_APPS_VERSION=2.0.4
MCP_CLIENT_VERSION=2.4.0  # ext-apps' peers, pinned alongside it
ZOD_VERSION=4.6.7
ESBUILD_VERSION=0.28.2
DIR="$NODE_CACHE/apps-host"
BUNDLE="$DIR/app-bridge-$EXT_APPS_VERSION.js"

if ! command -v chromium >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing chromium (apt-get install chromium) ..." >&2
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; } >&2 || die "apt-get install chromium failed"
  else
    die "chromium is needed for the MCP Apps browser tests (apt-get install chromium)"
  fi
fi
command -v npm >/dev/null 2>&1 || die "npm is needed (apt-get install nodejs npm)"

mkdir -p "$DIR" || die "cannot create $DIR"
exec 9>"$DIR/.lock"
flock -w 600 9 || die "could not lock $DIR/.lock"
if ! [ -s "$BUNDLE" ]; then
  echo "installing @modelcontextprotocol/ext-apps@$EXT_APPS_VERSION and bundling its AppBridge into $DIR ..." >&2
  [ -f "$DIR/package.json" ] || echo '{"private":true}' > "$DIR/package.json"
  npm install --prefix "$DIR" --no-audit --no-fund --loglevel=error --legacy-peer-deps \
    "@modelcontextprotocol/ext-apps@$EXT_APPS_VERSION" "@modelcontextprotocol/client@$MCP_CLIENT_VERSION" \
    "@modelcontextprotocol/core@$MCP_CLIENT_VERSION" "zod@$ZOD_VERSION" "esbuild@$ESBUILD_VERSION" >&2 \
    || die "npm install of @modelcontextprotocol/ext-apps failed"
  echo 'export { AppBridge, PostMessageTransport } from "@modelcontextprotocol/ext-apps/app-bridge";' > "$DIR/entry.mjs"
  "$DIR/node_modules/.bin/esbuild" "$DIR/entry.mjs" --bundle --format=esm --platform=browser --log-level=warning \
    --outfile="$BUNDLE.tmp" >&2 && mv "$BUNDLE.tmp" "$BUNDLE" || die "bundling the AppBridge failed"
fi
flock -u 9
echo "$BUNDLE"
