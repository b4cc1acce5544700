#!/usr/bin/env bash
# conformance.sh: run the official MCP conformance suite (@modelcontextprotocol/conformance)
# against quant-mcp, over Streamable HTTP and over stdio, and fail when a scenario fails.
#
#   scripts/conformance.sh [--transport http|stdio|both] [--scenario NAME]... [--out DIR]
#
# http:  starts `quant-mcp serve --transport http --simulate` on a free loopback port.
# stdio: the suite speaks Streamable HTTP only, so `quant-mcp serve --simulate` runs behind
#        the supergateway bridge (stateful: one server process per MCP session, JSON-RPC
#        relayed unchanged), bound to 127.0.0.1.
#
# Scenarios run: every generic one (initialize, ping, tools/resources/prompts lists), the
# optional ones whose capability the server declares in its initialize answer (logging,
# completions, resources.subscribe), and over HTTP the transport-level ones (multiple SSE
# streams, DNS-rebinding protection). Skipped, with the reason printed: the scenarios that
# call the reference "everything" server's fixed tool, resource and prompt names, and over
# stdio the HTTP transport scenarios (they would test the bridge, not quant-mcp).
#
# Last line: `conformance: N passed, M failed, K skipped` (scenarios, both transports).
# Exit 0 when none failed, 1 when one did, 2 when the run itself could not happen.
# First use installs Node 22 and the suite (scripts/lib/node-tools.sh); --out keeps each
# scenario's checks.json and logs (default: a new temporary folder).
set -u
HERE="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source=lib/node-tools.sh
. "$HERE/lib/node-tools.sh"

# Generic: meaningful against any server.
CORE="server-initialize ping tools-list resources-list prompts-list"
# Optional, each gated on a capability the server may declare.
OPTIONAL="logging-set-level completion-complete resources-subscribe resources-unsubscribe"
# Streamable HTTP transport level: HTTP only.
HTTP_ONLY="server-sse-multiple-streams dns-rebinding-protection"
# Written for the reference "everything" server: they call its fixed names.
EVERYTHING_ONLY="tools-call-simple-text tools-call-image tools-call-audio tools-call-embedded-resource
tools-call-mixed-content tools-call-with-logging tools-call-error tools-call-with-progress tools-call-sampling
tools-call-elicitation elicitation-sep1034-defaults elicitation-sep1330-enums json-schema-2020-12
server-sse-polling resources-read-text resources-read-binary resources-templates-read prompts-get-simple
prompts-get-with-args prompts-get-embedded-resource prompts-get-with-image"

TRANSPORTS="http stdio" OUT="" EXPLICIT=()
while [ $# -gt 0 ]; do
  case "$1" in
    --transport) case "${2:-}" in http|stdio) TRANSPORTS="$2" ;; both) TRANSPORTS="http stdio" ;;
                   *) die "--transport takes http, stdio or both" ;; esac; shift 2 ;;
    --scenario) EXPLICIT+=("${2:-}"); shift 2 ;;
    --out) OUT="${2:-}"; shift 2 ;;
    -h|--help) sed -n '2,24p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown argument: $1 (see --help)" ;;
  esac
done

ensure_node_tools
QM="$(quant_mcp_command)"
cp "$HERE/lib/probe.mjs" "$HERE/lib/summarize.mjs" "$NODE_CACHE/pkg/"  # probe.mjs resolves the SDK from there
[ -n "$OUT" ] || OUT="$(mktemp -d "${TMPDIR:-/tmp}/quant-mcp-conformance.XXXXXX")"
mkdir -p "$OUT" || die "cannot create $OUT"
echo "suite: @modelcontextprotocol/conformance@$CONFORMANCE_VERSION (node $("$NODE" --version)); server: $QM; results: $OUT"

TARGET_PID=""
stop_target() {
  [ -n "$TARGET_PID" ] || return 0
  # supergateway ends the server processes it started on SIGTERM; note them first in case
  # it has to be killed outright.
  local children
  children="$(ps -o pid= --ppid "$TARGET_PID" 2>/dev/null)"
  kill -TERM "$TARGET_PID" 2>/dev/null
  for _ in $(seq 1 50); do kill -0 "$TARGET_PID" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$TARGET_PID" 2>/dev/null
  for child in $children; do kill -TERM "$child" 2>/dev/null; done
  wait "$TARGET_PID" 2>/dev/null
  TARGET_PID=""
}
trap stop_target EXIT
trap 'exit 2' INT TERM

start_target() { # start_target TRANSPORT LOG -> sets URL and TARGET_PID
  local port
  port="$(free_port)"
  [ -n "$port" ] || die "could not pick a free port"
  URL="http://127.0.0.1:$port/mcp"
  if [ "$1" = http ]; then
    "$QM" serve --transport http --simulate --port "$port" > "$2" 2>&1 &
  else
    NODE_OPTIONS="--require $HERE/lib/force-loopback.cjs" "$NODE" "$SUPERGATEWAY" \
      --stdio "$QM serve --simulate" --outputTransport streamableHttp --stateful \
      --port "$port" --streamableHttpPath /mcp --logLevel info > "$2" 2>&1 &
  fi
  TARGET_PID=$!
  for _ in $(seq 1 150); do
    port_open 127.0.0.1 "$port" && return 0
    kill -0 "$TARGET_PID" 2>/dev/null || break
    sleep 0.1
  done
  tail -20 "$2" >&2
  die "the $1 target did not start (log: $2)"
}

has_capability() { # has_capability JS-EXPRESSION-ON-c (the declared capabilities)
  "$NODE" -e 'const c=JSON.parse(process.argv[1]).capabilities||{};process.exit(('"$1"')?0:1)' "$PROBE"
}

PASSED=0 FAILED=0 SKIPPED=0
for transport in $TRANSPORTS; do
  echo
  echo "== $transport"
  mkdir -p "$OUT/$transport"
  start_target "$transport" "$OUT/$transport/server.log"
  PROBE="$(timeout 60 "$NODE" "$NODE_CACHE/pkg/probe.mjs" "$URL" 2> "$OUT/$transport/probe.err")" \
    || die "initialize failed over $transport: $(head -c 300 "$OUT/$transport/probe.err")"
  echo "server: $PROBE"

  RUN=() SKIP=()
  if [ ${#EXPLICIT[@]} -gt 0 ]; then
    RUN=("${EXPLICIT[@]}")
  else
    RUN=($CORE)
    for s in $OPTIONAL; do
      case "$s" in
        logging-set-level) cap='c.logging' name=logging ;;
        completion-complete) cap='c.completions' name=completions ;;
        resources-*) cap='c.resources && c.resources.subscribe' name=resources.subscribe ;;
      esac
      if has_capability "$cap"; then RUN+=("$s"); else SKIP+=("$s: optional, the server does not declare $name"); fi
    done
    for s in $HTTP_ONLY; do
      if [ "$transport" = http ]; then RUN+=("$s"); else SKIP+=("$s: HTTP transport scenario (over stdio it would test the bridge)"); fi
    done
    SKIP+=("$(echo $EVERYTHING_ONLY | wc -w) scenarios written for the reference everything-server's fixed names: $(echo $EVERYTHING_ONLY)")
  fi

  for s in "${RUN[@]}"; do
    d="$OUT/$transport/$s"; rm -rf "$d"; mkdir -p "$d"
    timeout 120 "$NODE" "$SUITE" server --url "$URL" --scenario "$s" -o "$d" > "$d/suite.log" 2>&1
    read -r verdict ok bad warn message < <("$NODE" "$NODE_CACHE/pkg/summarize.mjs" "$d")
    if [ "$verdict" = PASS ]; then
      PASSED=$((PASSED + 1))
      echo "PASS $s (checks: $ok ok, $warn warning)${message:+ - $message}"
    else
      FAILED=$((FAILED + 1))
      echo "FAIL $s (checks: $ok ok, $bad failed, $warn warning) - $message"
    fi
  done
  for k in "${SKIP[@]}"; do echo "SKIP $k"; done
  SKIPPED=$((SKIPPED + $(printf '%s\n' "${SKIP[@]}" | awk '/everything-server/ {n += $1; next} NF {n++} END {print n + 0}')))
  stop_target
done

echo
echo "conformance: $PASSED passed, $FAILED failed, $SKIPPED skipped"
[ "$FAILED" = 0 ]
