#!/usr/bin/env bash
# ts-client.sh: check quant-mcp through the official TypeScript SDK client
# (@modelcontextprotocol/sdk, pinned in lib/node-tools.sh), what most desktop hosts are built
# on, over stdio and over Streamable HTTP (with sessions, and --stateless: answers in JSON but for
# calls asking for progress), against the built-in simulator.
#
#   scripts/ts-client.sh [--transport http|http-stateless|stdio|all] [--streams N]
#
# Per transport (lib/ts-client.mjs): every default tool called with valid arguments;
# chat_stream N times (default 20) with onprogress, each call's progress messages adding up
# to its final text (the client drops a notification read together with the result: its
# issue #2580); every resource read; every prompt got, an unknown one answering -32602; no
# client-side protocol error. Last line: `ts-client: N passed, M failed` (checks, both transports).
# Exit 0 when none failed, 1 when one did, 2 when the run itself could not happen.
set -u
HERE="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source=lib/node-tools.sh
. "$HERE/lib/node-tools.sh"

TRANSPORTS="stdio http http-stateless" STREAMS=20
while [ $# -gt 0 ]; do
  case "$1" in
    --transport) case "${2:-}" in http|http-stateless|stdio) TRANSPORTS="$2" ;; all) ;;
                   *) die "--transport takes http, http-stateless, stdio or all" ;; esac; shift 2 ;;
    --streams) STREAMS="${2:-}"; shift 2 ;;
    -h|--help) sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown argument: $1 (see --help)" ;;
  esac
done

ensure_node_tools
QM="$(quant_mcp_command)"
cp "$HERE/lib/ts-client.mjs" "$NODE_CACHE/pkg/"  # resolves the SDK from there
echo "client: @modelcontextprotocol/sdk@$TS_SDK_VERSION (node $("$NODE" --version)); server: $QM"

SERVER_PID=""
stop_server() {
  [ -n "$SERVER_PID" ] || return 0
  kill -TERM "$SERVER_PID" 2>/dev/null
  for _ in $(seq 1 30); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$SERVER_PID" 2>/dev/null
  wait "$SERVER_PID" 2>/dev/null
  SERVER_PID=""
}
trap stop_server EXIT
trap 'exit 2' INT TERM

PASSED=0 FAILED=0
for transport in $TRANSPORTS; do
  echo
  echo "== $transport"
  LOG="$(mktemp "${TMPDIR:-/tmp}/quant-mcp-ts-client.XXXXXX")"
  if [ "$transport" != stdio ]; then
    port="$(free_port)"
    [ -n "$port" ] || die "could not pick a free port"
    stateless="$([ "$transport" = http-stateless ] && echo --stateless)"
    env $(env | sed -n 's/^\(QUANT_[A-Z_]*\)=.*/-u \1/p') "$QM" serve --transport http $stateless --simulate --port "$port" > "$LOG" 2>&1 &
    SERVER_PID=$!
    for _ in $(seq 1 150); do port_open 127.0.0.1 "$port" && break; kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
    port_open 127.0.0.1 "$port" || { tail -20 "$LOG" >&2; die "the HTTP server did not start (log: $LOG)"; }
    TARGET="http://127.0.0.1:$port/mcp"
  else
    TARGET="$QM"
  fi
  timeout 600 "$NODE" "$NODE_CACHE/pkg/ts-client.mjs" "$transport" "$TARGET" "$STREAMS" | tee "$LOG.client"
  line="$(tail -1 "$LOG.client")"
  stop_server
  case "$line" in
    "ts-client $transport: "*" passed, "*" failed")
      counts="${line#*: }"
      PASSED=$((PASSED + ${counts%% passed*}))
      rest="${counts#*passed, }"
      FAILED=$((FAILED + ${rest%% failed*})) ;;
    *) FAILED=$((FAILED + 1)); echo "FAIL the $transport run ended without its summary (server log: $LOG)" ;;
  esac
done

echo
echo "ts-client: $PASSED passed, $FAILED failed"
[ "$FAILED" = 0 ]
