#!/usr/bin/env bash
# mcpb.sh: build the desktop bundle (MCPB, server type uv), check it with the official mcpb
# tool, and launch it as a host would on Python 3.11, 3.12 and 3.13.
#
#   scripts/mcpb.sh [--out DIR]
#
# Stages the bundle (scripts/build_mcpb.py), runs `mcpb validate` on its manifest, packs it
# (DIR/quant-mcp-VERSION.mcpb, default a new temporary folder), unpacks the packed file with
# `mcpb unpack` and runs tests/test_manifests.py's bundle test against that unpacked copy:
# the manifest's own `uv run` command and env, on each Python, serving tools/list and a tool call.
# Exit 0 when all of it passed.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/.." && pwd)"
# shellcheck source=lib/node-tools.sh
. "$HERE/lib/node-tools.sh"

OUT=""
while [ $# -gt 0 ]; do
  case "$1" in
    --out) OUT="${2:-}"; shift 2 ;;
    -h|--help) sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown argument: $1 (see --help)" ;;
  esac
done
ensure_node_tools
[ -n "$OUT" ] || OUT="$(mktemp -d "${TMPDIR:-/tmp}/quant-mcp-mcpb.XXXXXX")"
mkdir -p "$OUT"
PY="$ROOT/.venv/bin/python"; [ -x "$PY" ] || PY=python3

"$PY" "$ROOT/scripts/build_mcpb.py" "$OUT/staged" >/dev/null
"$NODE" "$MCPB" validate "$OUT/staged/manifest.json"
VERSION="$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["version"])' "$OUT/staged/manifest.json")"
"$NODE" "$MCPB" pack "$OUT/staged" "$OUT/quant-mcp-$VERSION.mcpb" | grep -E "^(filename|package size|total files)"
rm -rf "$OUT/unpacked"
"$NODE" "$MCPB" unpack "$OUT/quant-mcp-$VERSION.mcpb" "$OUT/unpacked" >/dev/null
cd "$ROOT"
QUANT_MCP_BUNDLE="$OUT/unpacked" "$PY" -m pytest -q -p no:cacheprovider tests/test_manifests.py -k test_mcpb_bundle
