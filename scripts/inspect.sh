#!/usr/bin/env bash
# inspect.sh: a smoke test through a client nobody here wrote. The official MCP Inspector
# CLI (@modelcontextprotocol/inspector --cli) starts `quant-mcp serve --simulate` over stdio
# and lists its tools, resources, resource templates and prompts.
#
#   scripts/inspect.sh [--out FILE] [-- COMMAND ARGS...]
#
# One Inspector run (and one server process) per method: initialize, tools/list,
# resources/list, resources/templates/list, prompts/list. Prints one line per method and a
# last line `inspect: tools=N resources=N templates=N prompts=N errors=K`; FILE (default: a
# temporary file) gets the raw JSON. Exit 0 when every call succeeded, 1 when one failed,
# 2 when the run itself could not happen. First use installs Node 22 and the Inspector
# (scripts/lib/node-tools.sh).
set -u
HERE="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source=lib/node-tools.sh
. "$HERE/lib/node-tools.sh"

OUTFILE="" COMMAND=()
while [ $# -gt 0 ]; do
  case "$1" in
    --out) OUTFILE="${2:-}"; shift 2 ;;
    --) shift; COMMAND=("$@"); break ;;
    -h|--help) sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown argument: $1 (see --help)" ;;
  esac
done

ensure_node_tools
[ ${#COMMAND[@]} -gt 0 ] || COMMAND=("$(quant_mcp_command)" serve --simulate)
WORK="$(mktemp -d "${TMPDIR:-/tmp}/quant-mcp-inspect.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT
[ -n "$OUTFILE" ] || OUTFILE="$(mktemp "${TMPDIR:-/tmp}/quant-mcp-inspect.XXXXXX.json")"
echo "inspector: @modelcontextprotocol/inspector@$INSPECTOR_VERSION --cli (node $("$NODE" --version)); server: stdio ${COMMAND[*]}"

# The Inspector keeps settings under HOME; give it a private one so it writes nothing to ours.
IHOME="$WORK/home"
mkdir -p "$IHOME"
i=0
for method in initialize tools/list resources/list resources/templates/list prompts/list; do
  i=$((i + 1))
  echo "$method" > "$WORK/$i.method"
  HOME="$IHOME" MCP_STORAGE_DIR="$IHOME/storage" MCP_CATALOG_PATH="$IHOME/mcp.json" \
    MCP_INSPECTOR_SECRET_STORE=memory NO_COLOR=1 \
    timeout 90 "$NODE" "$INSPECTOR" --cli --method "$method" -- "${COMMAND[@]}" \
    > "$WORK/$i.out" 2> "$WORK/$i.err" < /dev/null
  echo $? > "$WORK/$i.rc"
done
"$NODE" "$HERE/lib/inspect-report.cjs" "$WORK" "$OUTFILE"
