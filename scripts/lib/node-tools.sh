# shellcheck shell=bash
# Sourced by scripts/conformance.sh and scripts/inspect.sh: installs, once, the Node tools
# that judge quant-mcp from outside, pinned, into a cache outside the repository:
#   @modelcontextprotocol/conformance  the official MCP conformance suite (needs Node >= 22:
#                                       it imports fs.globSync, which Node 20 lacks)
#   supergateway                        a stdio -> Streamable HTTP bridge (the suite speaks HTTP only)
#   @modelcontextprotocol/inspector     the official Inspector, whose --cli mode lists things
#   @modelcontextprotocol/sdk           the official TypeScript SDK, whose client most desktop hosts use
#   @anthropic-ai/mcpb                  the desktop bundle (MCPB) tool: validate, pack, unpack
# Node 22 itself comes from the npm package node-linux-<arch> when the system node is older.
# Cache: $QUANT_MCP_NODE_CACHE (default ~/.cache/quant-mcp/node-tools, about 400 MB).
# After `ensure_node_tools`: $NODE, $SUITE, $SUPERGATEWAY, $INSPECTOR, $MCPB are absolute paths.

CONFORMANCE_VERSION=0.1.16
SUPERGATEWAY_VERSION=4.0.0
INSPECTOR_VERSION=2.12.0
TS_SDK_VERSION=1.32.2
MCPB_VERSION=2.1.2
NODE_VERSION=22.23.3
NODE_CACHE="${QUANT_MCP_NODE_CACHE:-${XDG_CACHE_HOME:-${HOME:-/tmp}/.cache}/quant-mcp/node-tools}"

die() { echo "$(basename "$0"): $*" >&2; exit 2; }

_node_major() { "$1" -e 'process.stdout.write(process.versions.node.split(".")[0])' 2>/dev/null; }

_has_version() { # _has_version PACKAGE VERSION
  [ -f "$NODE_CACHE/pkg/node_modules/$1/package.json" ] \
    && grep -q "\"version\": \"$2\"" "$NODE_CACHE/pkg/node_modules/$1/package.json"
}

ensure_node_tools() {
  if ! command -v npm >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
      echo "installing npm (apt-get install nodejs npm) ..." >&2
      { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm; } >&2 \
        || die "apt-get install nodejs npm failed"
    else
      die "npm is needed (apt-get install nodejs npm)"
    fi
  fi
  mkdir -p "$NODE_CACHE" || die "cannot create $NODE_CACHE"
  exec 9>"$NODE_CACHE/.lock"
  flock -w 600 9 || die "could not lock $NODE_CACHE/.lock"

  if command -v node >/dev/null 2>&1 && [ "$(_node_major node)" -ge 22 ] 2>/dev/null; then
    NODE="$(command -v node)"
  else
    local arch
    case "$(uname -m)" in
      x86_64|amd64) arch=x64 ;;
      aarch64|arm64) arch=arm64 ;;
      *) die "no Node >= 22 and no node-linux package for $(uname -m)" ;;
    esac
    NODE="$NODE_CACHE/node22/node_modules/node-linux-$arch/bin/node"
    if ! [ -x "$NODE" ] || [ "$(_node_major "$NODE")" != 22 ]; then
      echo "installing node-linux-$arch@$NODE_VERSION into $NODE_CACHE/node22 ..." >&2
      mkdir -p "$NODE_CACHE/node22"
      [ -f "$NODE_CACHE/node22/package.json" ] || echo '{"private":true}' > "$NODE_CACHE/node22/package.json"
      npm install --prefix "$NODE_CACHE/node22" --no-audit --no-fund --loglevel=error \
        "node-linux-$arch@$NODE_VERSION" >&2 || die "npm install of node-linux-$arch failed"
    fi
  fi

  if ! _has_version @modelcontextprotocol/conformance "$CONFORMANCE_VERSION" \
      || ! _has_version supergateway "$SUPERGATEWAY_VERSION" \
      || ! _has_version @modelcontextprotocol/inspector "$INSPECTOR_VERSION" \
      || ! _has_version @modelcontextprotocol/sdk "$TS_SDK_VERSION" \
      || ! _has_version @anthropic-ai/mcpb "$MCPB_VERSION"; then
    echo "installing the MCP conformance suite, supergateway, the Inspector, the TypeScript SDK and mcpb into $NODE_CACHE/pkg ..." >&2
    mkdir -p "$NODE_CACHE/pkg"
    [ -f "$NODE_CACHE/pkg/package.json" ] || echo '{"private":true}' > "$NODE_CACHE/pkg/package.json"
    npm install --prefix "$NODE_CACHE/pkg" --no-audit --no-fund --loglevel=error \
      "@modelcontextprotocol/conformance@$CONFORMANCE_VERSION" \
      "supergateway@$SUPERGATEWAY_VERSION" \
      "@modelcontextprotocol/inspector@$INSPECTOR_VERSION" \
      "@modelcontextprotocol/sdk@$TS_SDK_VERSION" \
      "@anthropic-ai/mcpb@$MCPB_VERSION" >&2 || die "npm install of the MCP tools failed"
  fi
  flock -u 9

  SUITE="$NODE_CACHE/pkg/node_modules/@modelcontextprotocol/conformance/dist/index.js"
  SUPERGATEWAY="$NODE_CACHE/pkg/node_modules/supergateway/dist/index.js"
  INSPECTOR="$NODE_CACHE/pkg/node_modules/@modelcontextprotocol/inspector/clients/launcher/build/index.js"
  MCPB="$NODE_CACHE/pkg/node_modules/@anthropic-ai/mcpb/dist/cli/cli.js"
  for f in "$NODE" "$SUITE" "$SUPERGATEWAY" "$INSPECTOR" "$MCPB"; do [ -e "$f" ] || die "missing after install: $f"; done
}

# The quant-mcp command: $QUANT_MCP, else the repository's venv, else the one on PATH.
quant_mcp_command() {
  local root
  root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
  if [ -n "${QUANT_MCP:-}" ]; then echo "$QUANT_MCP"
  elif [ -x "$root/.venv/bin/quant-mcp" ]; then echo "$root/.venv/bin/quant-mcp"
  elif command -v quant-mcp >/dev/null 2>&1; then command -v quant-mcp
  else die "quant-mcp not found: pip install -e . (or set QUANT_MCP)"
  fi
}

# A free TCP port on 127.0.0.1.
free_port() { "$NODE" -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'; }

port_open() { (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }
