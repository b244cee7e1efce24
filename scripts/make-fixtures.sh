#!/usr/bin/env bash
# Regenerate wscap's real-capture fixtures in fixtures/ (+ NAME.expected.json).
#
#   bash scripts/make-fixtures.sh
#
# Needs root (tcpdump, binding :443, one iptables rule), node >= 20 with the ws
# devDependency installed, openssl, tcpdump, tshark/editcap/mergecap/capinfos,
# python3. All traffic stays on loopback: a local TLS WebSocket server standing
# in for fstream.binance.com (scripts/fixtures/server.mjs) on 127.0.0.2:443 and
# [::1]:443, an agent-like client (scripts/fixtures/agent.mjs), and tcpdump on
# lo / any. The expected values are written by scripts/fixtures/expected.py.
#
# Every process is started under `timeout`, and the EXIT trap stops whatever
# is still running, deletes the iptables rule and the temp dir (throwaway
# certificate included). Fixture files are only replaced once every scenario
# has been recorded and checked.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
FX="$ROOT/scripts/fixtures"
DEST="$ROOT/fixtures"
SNI=fstream.binance.com
SERVER_V4=127.0.0.2
REFUSED_PORT=4443      # nothing listens there -> SYN answered by RST
UNANSWERED_PORT=8443   # SYNs dropped by the iptables rule below
UDP_PORT=19999         # any-nano.pcap: a few UDP datagrams on 127.0.0.1
IPT_RULE=(INPUT -i lo -d "$SERVER_V4" -p tcp --dport "$UNANSWERED_PORT" --syn
          -m comment --comment "wscap-make-fixtures-$$" -j DROP)
# tcpdump: packet-buffered output, immediate delivery (no lost tail on SIGINT),
# and a big ring buffer (immediate mode uses one 256 KiB slot per packet).
TCPDUMP_OPTS=(-U --immediate-mode -B 65536 -Z root -n)

T_START=$EPOCHREALTIME
log() { printf '[%5ss] %s\n' "$(awk -v a="$EPOCHREALTIME" -v b="$T_START" 'BEGIN { printf "%.1f", a - b }')" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

for tool in node openssl tcpdump tshark editcap mergecap capinfos python3 iptables ss timeout awk gzip; do
  command -v "$tool" >/dev/null || die "missing tool: $tool"
done
[ "$(id -u)" = 0 ] || die "must run as root (tcpdump, port 443, iptables)"
[ -d "$ROOT/node_modules/ws" ] || die "node_modules/ws missing (npm install)"

WORK=$(mktemp -d /tmp/wscap-fixtures.XXXXXX)
OUT="$WORK/out"
mkdir -p "$OUT"
PIDS=()          # background processes we started (each is a `timeout` wrapper)
IPT_ADDED=0

cleanup() {
  local rc=$?
  set +e
  trap - EXIT INT TERM
  for pid in "${PIDS[@]}"; do
    if kill -0 "$pid" 2>/dev/null; then
      kill -INT "$pid" 2>/dev/null   # tcpdump: flush; node: exit
      sleep 0.2
      kill -TERM "$pid" 2>/dev/null
    fi
  done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null; done
  if [ "$IPT_ADDED" = 1 ]; then
    while iptables -C "${IPT_RULE[@]}" 2>/dev/null; do iptables -D "${IPT_RULE[@]}"; done
  fi
  rm -rf "$WORK"
  if [ $rc -ne 0 ]; then log "FAILED (exit $rc); fixtures/ left unchanged"; fi
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

forget_pid() {  # drop $1 from PIDS
  local p keep=()
  for p in "${PIDS[@]}"; do [ "$p" = "$1" ] || keep+=("$p"); done
  PIDS=("${keep[@]}")
}

wait_for() {  # wait_for FILE REGEX SECONDS
  local deadline=$(( $(date +%s) + $3 ))
  until grep -qE "$2" "$1" 2>/dev/null; do
    [ "$(date +%s)" -lt "$deadline" ] || die "timeout waiting for /$2/ in $(basename "$1")"
    sleep 0.05
  done
}

stop_pid() {  # stop_pid PID SIGNAL: signal a process we started and reap it
  if kill -0 "$1" 2>/dev/null; then kill "-$2" "$1" 2>/dev/null || true; fi
  wait "$1" 2>/dev/null || true
  forget_pid "$1"
}

# ---------------------------------------------------------------- processes
SERVER_PID=
start_server() {  # start_server NAME [server.mjs args...]
  local name=$1; shift
  rm -f "$WORK/$name.ready"
  timeout -k 2 60 node "$FX/server.mjs" --cert "$WORK/cert.pem" --key "$WORK/key.pem" \
    --ready-file "$WORK/$name.ready" --max-seconds 50 "$@" >"$WORK/$name.server.log" 2>&1 &
  SERVER_PID=$!
  PIDS+=("$SERVER_PID")
  wait_for "$WORK/$name.ready" . 10
}
stop_server() { stop_pid "$SERVER_PID" TERM; }

CAP_PID=
CAP_ERR=
start_capture() {  # start_capture NAME IFACE FILTER OUTFILE [tcpdump args...]
  local name=$1 iface=$2 filter=$3 file=$4; shift 4
  CAP_ERR="$WORK/$name.tcpdump.err"
  timeout -s INT -k 5 60 tcpdump -i "$iface" "${TCPDUMP_OPTS[@]}" "$@" -w "$file" "$filter" 2>"$CAP_ERR" &
  CAP_PID=$!
  PIDS+=("$CAP_PID")
  wait_for "$CAP_ERR" '^tcpdump: listening on' 10
}
stop_capture() {  # stop_capture NAME: ss snapshot, SIGINT, wait, check drops
  local name=$1
  sleep 0.3                              # let the last ACKs go by
  ss -tanH >"$WORK/$name.ss"             # what `ss` on the client shows now
  stop_pid "$CAP_PID" INT
  local dropped
  dropped=$(sed -n 's/^\([0-9]*\) packets\{0,1\} dropped by kernel$/\1/p' "$CAP_ERR")
  [ -n "$dropped" ] || die "$name: no tcpdump statistics (tcpdump died?): $(cat "$CAP_ERR")"
  [ "$dropped" = 0 ] || die "$name: tcpdump reports $dropped packet(s) dropped by kernel"
  log "$name: $(grep 'packets captured' "$CAP_ERR")"
}

AGENT_PID=
agent_bg() {  # agent_bg NAME [agent.mjs args...]
  local name=$1; shift
  timeout -k 2 40 node "$FX/agent.mjs" --max-seconds 30 "$@" \
    >"$WORK/$name.agent.out" 2>"$WORK/$name.agent.log" &
  AGENT_PID=$!
  PIDS+=("$AGENT_PID")
}
agent_wait() {  # agent_wait NAME: wait for the background agent to finish
  local rc=0
  wait "$AGENT_PID" || rc=$?
  forget_pid "$AGENT_PID"
  [ $rc = 0 ] || die "$1: agent exited with $rc: $(tail -5 "$WORK/$1.agent.log")"
  grep -q '^DONE$' "$WORK/$1.agent.out" || die "$1: agent did not finish cleanly"
}

expected() {  # expected NAME "DESCRIPTION" FILE... (EXPECTED_ARGS: extra expected.py flags)
  local name=$1 desc=$2; shift 2
  local ss=()
  [ -f "$WORK/$name.ss" ] && ss=(--ss "$WORK/$name.ss")
  python3 "$FX/expected.py" --dir "$OUT" --name "$name" --files "$@" --description "$desc" "${ss[@]}" ${EXPECTED_ARGS:-}
}

check() {  # check NAME PYTHON-EXPR  (C = list of connections, E = whole file)
  python3 - "$OUT/$1.expected.json" "$2" <<'EOF' || die "$1: check failed: $2"
import json, sys
E = json.load(open(sys.argv[1])); C = E["connections"]
from collections import Counter
kinds = Counter(c["closeKind"] for c in C)
ok = eval(sys.argv[2], {"E": E, "C": C, "kinds": kinds, "Counter": Counter})
sys.exit(0 if ok else 1)
EOF
}

# ---------------------------------------------------------------- preflight
for addr in "$SERVER_V4" "[::1]"; do
  if ss -Hltn "sport = :443" | awk '{print $4}' | grep -qE "^(\\*|0\\.0\\.0\\.0|\\[::\\]|${addr//./\\.}):443$"; then
    die "something already listens on $addr:443"
  fi
done

log "throwaway self-signed certificate for $SNI in $WORK"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
  -keyout "$WORK/key.pem" -out "$WORK/cert.pem" -subj "/CN=$SNI" \
  -addext "subjectAltName=DNS:$SNI" >/dev/null 2>&1 || die "openssl failed"

F443="host $SERVER_V4 and tcp port 443"

# ---------------------------------------------------- 1. clean-shutdown.pcap
log "scenario clean-shutdown"
start_server clean-shutdown
start_capture clean-shutdown lo "$F443" "$OUT/clean-shutdown.pcap"
agent_bg clean-shutdown --mode clean --close-at-ms 3000
agent_wait clean-shutdown
stop_capture clean-shutdown
stop_server
expected clean-shutdown "One symbol (btcusdt), 7 kline connections (1m 5m 15m 30m 1h 4h 1d) to fstream.binance.com:443 (local stand-in on 127.0.0.2), about 3 s of kline events and pings, then the agent closes every WebSocket cleanly (ws.close(1000)). In ws's closing handshake the server answers the agent's close frame and ends TCP at once, while the agent ends TCP as soon as that answer arrives, so which FIN comes first is a race, per connection: server first -> client CLOSE-WAIT -> LAST-ACK -> CLOSED; client first -> client TIME-WAIT." clean-shutdown.pcap
check clean-shutdown 'len(C) == 7 and kinds == {"fin": 7} and all(c["handshakeSeen"] and c["zeekConnState"] == "SF" for c in C)'

# ------------------------------------------- 2. server-close-reconnect.pcap
log "scenario server-close-reconnect"
start_server server-close-reconnect --action close --action-at-ms 1500
start_capture server-close-reconnect lo "$F443" "$OUT/server-close-reconnect.pcap"
agent_bg server-close-reconnect --mode reconnect --reconnect-delay-ms 300 --close-at-ms 4000
agent_wait server-close-reconnect
stop_capture server-close-reconnect
stop_server
expected server-close-reconnect "7 kline connections; after 1.5 s the server closes all 7 with a WebSocket close frame (1001 going away) followed by TCP close; the agent reconnects each once (300 ms later), receives data for ~2 s more, then closes all 7 new connections cleanly. 14 connections: C1-C7 closed by the server's close frame (the agent answers with its own close frame; which TCP FIN comes first is a race here too: seen both ways across recordings), C8-C14 closed by the agent (which FIN comes first is a race, as in clean-shutdown)." server-close-reconnect.pcap
check server-close-reconnect 'len(C) == 14 and kinds == {"fin": 14}'

# ------------------------------------------------------- 3. close-wait.pcap
log "scenario close-wait"
start_server close-wait --action end --action-at-ms 2000
start_capture close-wait lo "$F443" "$OUT/close-wait.pcap"
agent_bg close-wait --mode never-close
wait_for "$WORK/close-wait.agent.out" '^ALL_HALF_CLOSED$' 15
sleep 0.5
stop_capture close-wait                  # the agent still holds all 7 sockets
stop_pid "$AGENT_PID" TERM
stop_server
expected close-wait "The CLOSE-WAIT bug: 7 kline connections; after 2 s the server closes TCP only (TLS close_notify + FIN, no WebSocket close frame). The agent (raw TLS socket, allowHalfOpen, ignores 'end') never sends its FIN, so every client socket sits in CLOSE-WAIT when the capture stops (the server side in FIN-WAIT-2). Linux delays the client's ACK of the server's FIN (~40 ms: in CLOSE-WAIT it waits for the application's FIN to piggy-back on), so the server may retransmit its FIN (tail loss probe)." close-wait.pcap
check close-wait 'len(C) == 7 and kinds == {"fin": 7} and all(c["clientState"] == "CLOSE-WAIT" and c["closeInitiator"] == "server" for c in C)'

# ----------------------------------------------------- 4. agent-reset.pcap
log "scenario agent-reset"
start_server agent-reset
start_capture agent-reset lo "$F443" "$OUT/agent-reset.pcap"
agent_bg agent-reset --mode reset --close-at-ms 2000
agent_wait agent-reset
stop_capture agent-reset
stop_server
expected agent-reset "7 kline connections; after 2 s the agent aborts every connection with socket.resetAndDestroy() (SO_LINGER 0), so the client sends RST instead of FIN and no WebSocket close frame is exchanged." agent-reset.pcap
check agent-reset 'len(C) == 7 and kinds == {"rst": 7} and all(c["closeInitiator"] == "client" and c["clientState"] == "CLOSED" for c in C)'

# ----------------------------------------------- 5. refused-unanswered.pcap
log "scenario refused-unanswered"
iptables -I "${IPT_RULE[@]}"
IPT_ADDED=1
start_server refused-unanswered
start_capture refused-unanswered lo "host $SERVER_V4 and tcp" "$OUT/refused-unanswered.pcap"
agent_bg refused-unanswered --mode clean --close-at-ms 3000 \
  --refused-count 3 --refused-port "$REFUSED_PORT" \
  --unanswered-count 3 --unanswered-port "$UNANSWERED_PORT" --unanswered-timeout-ms 2500
agent_wait refused-unanswered
stop_capture refused-unanswered
stop_server
iptables -D "${IPT_RULE[@]}"
IPT_ADDED=0
expected refused-unanswered "Agent with failed attempts: 3 connection attempts to $SERVER_V4:$REFUSED_PORT (nothing listening: SYN answered by RST/ACK), 3 attempts to $SERVER_V4:$UNANSWERED_PORT whose SYNs an iptables rule drops (the kernel retransmits the SYN about 1 s later; the agent gives up after 2.5 s, nothing more is sent), and 7 normal kline connections to :443 closed cleanly by the agent after 3 s." refused-unanswered.pcap
check refused-unanswered 'len(C) == 13 and kinds == {"fin": 7, "refused": 3, "unanswered": 3}'

# ------------------------------------------------------- 6. midstream.pcap
log "scenario midstream"
start_server midstream
agent_bg midstream --mode clean --close-at-ms 3500
wait_for "$WORK/midstream.agent.out" '^ALL_OPEN$' 10
sleep 1
start_capture midstream lo "$F443" "$OUT/midstream.pcap"
agent_wait midstream
stop_capture midstream
stop_server
expected midstream "7 kline connections already established when tcpdump started (about 1 s after the agent connected): no SYN/SYN-ACK in the file, client = the side not on port 443. When a connection's first captured packet comes from port 443, zeekHistory starts with '^' (Zeek flips the roles it first guessed from that packet). About 2 s of data, then the agent closes all 7 cleanly (first FIN: a race, as in clean-shutdown). zeekConnState follows real Zeek: a midstream connection where both sides send FIN is SF (both endpoints PARTIAL -> CLOSED); OTH is for midstream traffic that is not closed." midstream.pcap
check midstream 'len(C) == 7 and kinds == {"fin": 7} and not any(c["handshakeSeen"] for c in C)'

# -------------------------------------------------------- 7. any-nano.pcap
log "scenario any-nano"
start_server any-nano
start_capture any-nano any "($F443) or (host 127.0.0.1 and udp port $UDP_PORT)" "$OUT/any-nano.pcap" \
  --time-stamp-precision nano -y LINUX_SLL2
timeout -k 1 10 python3 - "$UDP_PORT" <<'EOF' &
# 5 UDP datagrams 127.0.0.1 -> 127.0.0.1:PORT, with a receiver bound (no ICMP)
import socket, sys, time
port = int(sys.argv[1])
rx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); rx.bind(("127.0.0.1", port))
tx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for i in range(5):
    tx.sendto(b"wscap fixture udp datagram %d" % i, ("127.0.0.1", port))
    rx.recv(2048)
    time.sleep(0.3)
EOF
UDP_PID=$!
PIDS+=("$UDP_PID")
agent_bg any-nano --mode clean --close-at-ms 3000
agent_wait any-nano
wait "$UDP_PID" || die "any-nano: UDP sender failed"
forget_pid "$UDP_PID"
stop_capture any-nano
stop_server
expected any-nano "Like clean-shutdown (7 connections, ~3 s, agent closes cleanly) but captured with tcpdump -i any --time-stamp-precision nano -y LINUX_SLL2 (Linux cooked v2 headers, nanosecond pcap; one copy of each loopback packet), and the filter also admits 5 UDP datagrams sent to 127.0.0.1:$UDP_PORT, so the file has non-TCP packets." any-nano.pcap
check any-nano 'len(C) == 7 and kinds == {"fin": 7} and E["linkType"] == 276 and E["timestampPrecision"] == "ns" and E["packets"] - E["tcpPackets"] == 5'

# ------------------------------------------------------ 8. ipv6-clean.pcap
log "scenario ipv6-clean"
start_server ipv6-clean --listen "$SERVER_V4:443,[::1]:443"
start_capture ipv6-clean lo "host ::1 and tcp port 443" "$OUT/ipv6-clean.pcap"
agent_bg ipv6-clean --mode clean --close-at-ms 3000 --host ::1
agent_wait ipv6-clean
stop_capture ipv6-clean
stop_server
expected ipv6-clean "Like clean-shutdown but over IPv6 loopback: 7 kline connections from [::1] to [::1]:443 (SNI fstream.binance.com), ~3 s of data, then the agent closes all cleanly (first FIN: a race, as in clean-shutdown)." ipv6-clean.pcap
check ipv6-clean 'len(C) == 7 and kinds == {"fin": 7} and all(c["server"] == "[::1]:443" for c in C)'

# ------------------------------------------- 9. pcapng and gzip copies of 1.
log "scenario clean-shutdown copies (pcapng, gzip)"
editcap -F pcapng "$OUT/clean-shutdown.pcap" "$OUT/clean-shutdown.pcapng"
mkdir "$WORK/gz"
cp "$OUT/clean-shutdown.pcap" "$WORK/gz/clean-shutdown.pcap"
gzip "$WORK/gz/clean-shutdown.pcap"      # what tcpdump -z gzip does after a rotation
mv "$WORK/gz/clean-shutdown.pcap.gz" "$OUT/clean-shutdown.pcap.gz"
expected clean-shutdown.pcapng "pcapng copy of clean-shutdown.pcap (editcap -F pcapng): same packets, same connections." clean-shutdown.pcapng
expected clean-shutdown.pcap.gz "gzip copy of clean-shutdown.pcap (gzip FILE, as tcpdump -z gzip leaves a rotated file): same packets, same connections." clean-shutdown.pcap.gz
check clean-shutdown.pcapng 'E["format"] == "pcapng" and len(C) == 7'
check clean-shutdown.pcap.gz 'E["format"] == "pcap" and len(C) == 7'
python3 - "$OUT" <<'EOF' || die "copies of clean-shutdown disagree"
import json, sys
d = sys.argv[1]
a, b, c = (json.load(open(f"{d}/{n}.expected.json")) for n in ("clean-shutdown", "clean-shutdown.pcapng", "clean-shutdown.pcap.gz"))
sys.exit(0 if a["connections"] == b["connections"] == c["connections"] and a["packets"] == b["packets"] == c["packets"] else 1)
EOF

# ------------------------------------------------- 10. rotated-N.pcap (-G)
log "scenario rotated"
start_server rotated
mkdir "$WORK/rot"
start_capture rotated lo "$F443" "$WORK/rot/rot-%s.pcap" -G 2
agent_bg rotated --mode clean --close-at-ms 4000
agent_wait rotated
stop_capture rotated
stop_server
rot_files=()
i=0
while IFS= read -r f; do
  i=$((i + 1))
  mv "$f" "$OUT/rotated-$i.pcap"
  rot_files+=("rotated-$i.pcap")
done < <(find "$WORK/rot" -name 'rot-*.pcap' | sort)
[ "${#rot_files[@]}" -ge 2 ] || die "rotated: tcpdump -G produced only ${#rot_files[@]} file(s)"
expected rotated "One recording of a clean-shutdown-like run (7 connections, ~4 s, agent closes cleanly) split by tcpdump -G 2 (new file every 2 s) into ${#rot_files[@]} files; the expected values are for all files merged (connections span file boundaries)." "${rot_files[@]}"
check rotated 'len(C) == 7 and kinds == {"fin": 7} and len(E["files"]) >= 2'

# ------------------------------------------- 11. snaplen-64 / snaplen-40
# The same traffic recorded twice at once with short snap lengths: at 64 bytes
# the Ethernet, IPv4 and fixed TCP headers are whole (the TCP options and all
# payload are cut), so every connection is still analysed, with byte counts
# from the IP length; at 40 bytes only 6 bytes of TCP header remain, so no
# packet can be analysed and the report must say so instead of guessing.
log "scenario snaplen"
start_server snaplen
timeout -s INT -k 5 60 tcpdump -i lo "${TCPDUMP_OPTS[@]}" -s 40 -w "$OUT/snaplen-40.pcap" "$F443" \
  2>"$WORK/snaplen-40.tcpdump.err" &
SNAP40_PID=$!
PIDS+=("$SNAP40_PID")
wait_for "$WORK/snaplen-40.tcpdump.err" '^tcpdump: listening on' 10
start_capture snaplen lo "$F443" "$OUT/snaplen-64.pcap" -s 64
agent_bg snaplen --mode clean --close-at-ms 2000
agent_wait snaplen
stop_capture snaplen
stop_pid "$SNAP40_PID" INT
stop_server
# tshark's -z conv,tcp lists no conversation for cut TCP headers; its per-packet
# tcp.len (from the IP length) still gives the counts.
EXPECTED_ARGS=--no-conv-check expected snaplen-64 "Like clean-shutdown (7 connections, ~2 s, agent closes cleanly) recorded with tcpdump -s 64: every packet keeps its Ethernet, IPv4 and 20-byte TCP header, but TCP options and payload are cut. Payload byte counts come from the IP total length, so they equal an uncut capture's (tshark agrees)." snaplen-64.pcap
check snaplen-64 'len(C) == 7 and kinds == {"fin": 7} and sum(c["s2cBytes"] for c in C) > 0'
python3 - "$OUT" <<'EOF' || die "snaplen-40: expected file"
import json, struct, sys
d = sys.argv[1]
data = open(f"{d}/snaplen-40.pcap", "rb").read()
snaplen, linktype = struct.unpack_from("<II", data, 16)
assert snaplen == 40, snaplen
n, at = 0, 24
while at + 16 <= len(data):
    incl = struct.unpack_from("<I", data, at + 8)[0]
    at += 16 + incl
    n += 1
assert at == len(data) and n > 50, (at, len(data), n)
json.dump({
    "files": ["snaplen-40.pcap"],
    "description": "The snaplen-64 traffic recorded at the same time with tcpdump -s 40: Ethernet (14) + IPv4 (20) leave 6 bytes of each TCP header (the ports only). No TCP header is whole, so nothing is analysed: every packet counts as truncated and the report carries a 'snaplen' warning instead of guessed connections.",
    "format": "pcap", "linkType": linktype, "timestampPrecision": "us",
    "packets": n, "tcpPackets": 0, "truncatedPackets": n, "warningCodes": ["snaplen"],
    "connections": [],
}, open(f"{d}/snaplen-40.expected.json", "w"), indent=2)
open(f"{d}/snaplen-40.expected.json", "a").write("\n")
EOF

# ------------------------------------------------------------------ publish
log "capinfos summary"
for f in "$OUT"/*.pcap "$OUT"/*.pcapng "$OUT"/*.pcap.gz; do
  capinfos -t -E -c -i "$f" 2>/dev/null | awk -v f="$(basename "$f")" \
    '/File type|File encapsulation|Number of packets|Data size/ {sub(/^[^:]*: +/, ""); s = s " | " $0} END {print "  " f s}' >&2
done

mkdir -p "$DEST"
# remove the previous generation of generated files (README.md stays)
find "$DEST" -maxdepth 1 -type f \( -name '*.pcap' -o -name '*.pcapng' -o -name '*.pcap.gz' \
  -o -name '*.expected.json' \) -delete
cp "$OUT"/* "$DEST"/
log "wrote $(find "$OUT" -type f | wc -l) files to $DEST ($(du -sh "$DEST" | cut -f1))"
log "done"
