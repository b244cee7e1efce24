#!/usr/bin/env bash
# Regenerate wscap's real-capture fixtures in fixtures/ (+ NAME.expected.json).
#
#   bash scripts/make-fixtures.sh                       # record every scenario
#   bash scripts/make-fixtures.sh --only lossy,pings-only   # record only these
#   bash scripts/make-fixtures.sh --refresh [--only ...]    # record nothing: recompute
#                                                           # the expected files
#
# --only NAME[,NAME...]  records only those scenarios and replaces only their
#   files in fixtures/ (the other fixtures stay untouched). Scenarios:
#   clean-shutdown (also writes the .pcapng and .pcap.gz copies),
#   server-close-reconnect, close-wait, agent-reset, refused-unanswered,
#   midstream, any-nano, ipv6-clean, rotated, snaplen (snaplen-64 + snaplen-40),
#   lossy, zero-window, quiet-streams, pings-only, snaplen-128, large-clienthello,
#   dns-names, hostile-sni.
# --refresh  records nothing: re-runs expected.py --refresh on the capture files
#   already in fixtures/ (each expected file keeps its scenario description; the
#   computed " This capture: ..." tail is recomputed). expected.py fails if a key
#   already in a file would change, so a refresh can only ADD keys. Only the
#   .expected.json files are replaced; the captures are never rewritten.
#
# Recording needs root (tcpdump, binding :443, two iptables rules, lo's
# gso_max_segs for large-clienthello), node >= 20 with the ws devDependency
# installed, openssl, tcpdump, tshark/editcap/mergecap/capinfos, python3, ip;
# --refresh needs only tshark and python3. All traffic stays on loopback: a
# local TLS WebSocket server standing in for fstream.binance.com
# (scripts/fixtures/server.mjs) on 127.0.0.2:443 and [::1]:443, agent-like
# clients (scripts/fixtures/agent.mjs: Node + ws; scripts/fixtures/pyagent.py:
# python3 ssl, for socket options Node lacks), a small DNS server for dns-names
# (scripts/fixtures/dns-server.mjs, UDP 127.0.0.3:53), `openssl s_client` for the
# one hostile-sni name Node cannot send, and tcpdump on lo / any.
# The expected values are written by scripts/fixtures/expected.py.
#
# Every process is started under `timeout`, and the EXIT trap stops whatever
# is still running, deletes the iptables rules, restores lo's gso_max_segs
# (large-clienthello lowers it) and deletes the temp dir (throwaway certificate
# included). Fixture files are only replaced once every selected scenario has
# been recorded (or refreshed) and checked.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
FX="$ROOT/scripts/fixtures"
DEST="$ROOT/fixtures"
SNI=fstream.binance.com
SERVER_V4=127.0.0.2
REFUSED_PORT=4443      # nothing listens there -> SYN answered by RST
UNANSWERED_PORT=8443   # SYNs dropped by the iptables rule below
UDP_PORT=19999         # any-nano.pcap: a few UDP datagrams on 127.0.0.1
DNS_V4=127.0.0.3       # dns-names.pcap: the agent's DNS server (UDP port 53)
IPT_RULE=(INPUT -i lo -d "$SERVER_V4" -p tcp --dport "$UNANSWERED_PORT" --syn
          -m comment --comment "wscap-make-fixtures-$$" -j DROP)
# lossy.pcap: ~5% of the server's packets to the client vanish after the server's
# TCP stack sent them and before they reach lo (so before tcpdump sees them).
# Not -j DROP: a DROP in OUTPUT makes the local send fail (EPERM) and TCP simply
# sends the segment again later as if it had never been sent (no gap, no
# retransmission). NFQUEUE to a queue nobody listens on frees the packet and
# reports success, which is what a loss on the wire looks like. SYN-ACKs and
# packets over 400 bytes (the TLS handshake flight and the upgrade answer) are
# spared, so every connection opens and upgrades undisturbed; kline events,
# pings, ACKs, close frames, close_notify and FINs can be lost.
NFQUEUE_NUM=47231
LOSSY_RULE=(OUTPUT -o lo -s "$SERVER_V4" -p tcp --sport 443 --tcp-flags SYN NONE
            -m length --length 0:400 -m statistic --mode random --probability 0.05
            -m comment --comment "wscap-make-fixtures-$$-lossy" -j NFQUEUE --queue-num "$NFQUEUE_NUM")
# tcpdump: packet-buffered output, immediate delivery (no lost tail on SIGINT),
# and a big ring buffer (immediate mode uses one 256 KiB slot per packet).
TCPDUMP_OPTS=(-U --immediate-mode -B 65536 -Z root -n)

T_START=$EPOCHREALTIME
log() { printf '[%5ss] %s\n' "$(awk -v a="$EPOCHREALTIME" -v b="$T_START" 'BEGIN { printf "%.1f", a - b }')" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

ALL_SCENARIOS=(clean-shutdown server-close-reconnect close-wait agent-reset refused-unanswered
               midstream any-nano ipv6-clean rotated snaplen
               lossy zero-window quiet-streams pings-only snaplen-128 large-clienthello
               dns-names hostile-sni)
ONLY=
REFRESH=0
while [ $# -gt 0 ]; do
  case $1 in
    --only) [ $# -ge 2 ] || die "--only needs NAME[,NAME...]"; ONLY=$2; shift 2 ;;
    --only=*) ONLY=${1#--only=}; shift ;;
    --refresh) REFRESH=1; shift ;;
    -h|--help) sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown argument: $1 (see --help)" ;;
  esac
done
SCENARIOS=()
if [ -n "$ONLY" ]; then
  IFS=, read -r -a wanted <<<"$ONLY"
  for w in "${wanted[@]}"; do
    [ -n "$w" ] || continue
    printf '%s\n' "${ALL_SCENARIOS[@]}" | grep -qxF -- "$w" || die "unknown scenario: $w (known: ${ALL_SCENARIOS[*]})"
    printf '%s\n' "${SCENARIOS[@]}" | grep -qxF -- "$w" || SCENARIOS+=("$w")
  done
  [ "${#SCENARIOS[@]}" -gt 0 ] || die "--only: no scenario named"
else
  SCENARIOS=("${ALL_SCENARIOS[@]}")
fi

for tool in node openssl tcpdump tshark editcap mergecap capinfos python3 iptables ss timeout awk gzip ip; do
  command -v "$tool" >/dev/null || die "missing tool: $tool"
done
if [ "$REFRESH" = 0 ]; then
  [ "$(id -u)" = 0 ] || die "must run as root (tcpdump, port 443, iptables)"
  [ -d "$ROOT/node_modules/ws" ] || die "node_modules/ws missing (npm install)"
fi

WORK=$(mktemp -d /tmp/wscap-fixtures.XXXXXX)
OUT="$WORK/out"
mkdir -p "$OUT"
PIDS=()          # background processes we started (each is a `timeout` wrapper)
IPT_ADDED=0
LOSSY_ADDED=0
GSO_SAVED=       # lo's gso_max_segs before large-clienthello changed it

cleanup() {
  local rc=$?
  set +e
  # no second run; and a second INT/TERM (e.g. timeout signalling its whole
  # process group) must not cut the clean-up short
  trap - EXIT
  trap '' INT TERM
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
  if [ "$LOSSY_ADDED" = 1 ]; then
    while iptables -C "${LOSSY_RULE[@]}" 2>/dev/null; do iptables -D "${LOSSY_RULE[@]}"; done
  fi
  if [ -n "$GSO_SAVED" ]; then
    ip link set dev lo gso_max_segs "$GSO_SAVED"
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

DNS_PID=
start_dns() {  # start_dns NAME [dns-server.mjs args...]
  local name=$1; shift
  rm -f "$WORK/$name.dns.ready"
  timeout -k 2 60 node "$FX/dns-server.mjs" --listen "$DNS_V4:53" \
    --ready-file "$WORK/$name.dns.ready" --max-seconds 50 "$@" >"$WORK/$name.dns.log" 2>&1 &
  DNS_PID=$!
  PIDS+=("$DNS_PID")
  wait_for "$WORK/$name.dns.ready" . 10
}
stop_dns() { stop_pid "$DNS_PID" TERM; }

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
pyagent_bg() {  # pyagent_bg NAME [pyagent.py args...]: the Python client, same progress lines
  local name=$1; shift
  timeout -k 2 40 python3 "$FX/pyagent.py" --max-seconds 30 "$@" \
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

expected_args() {  # extra expected.py flags of one expected file
  case $1 in
    # tshark's -z conv,tcp lists no conversation for cut TCP headers; its
    # per-packet tcp.len (from the IP length) still gives the counts.
    snaplen-64) echo --no-conv-check ;;
    # newer scenarios: their descriptions also tally the TLS/record/health facts
    lossy|zero-window|quiet-streams|pings-only|snaplen-128|large-clienthello) echo --facts-tally ;;
    # and the names the DNS responses in the capture give the server addresses
    dns-names) echo --facts-tally --dns-names ;;
    hostile-sni) echo --facts-tally ;;
  esac
}

expected() {  # expected NAME "DESCRIPTION" FILE...
  local name=$1 desc=$2; shift 2
  local ss=()
  [ -f "$WORK/$name.ss" ] && ss=(--ss "$WORK/$name.ss")
  # shellcheck disable=SC2046
  python3 "$FX/expected.py" --dir "$OUT" --name "$name" --files "$@" --description "$desc" "${ss[@]}" \
    $(expected_args "$name")
}

refresh_expected() {  # refresh_expected NAME: recompute OUT/NAME.expected.json from its own files
  # Existing captures cannot be recorded again to get rid of a comparison that
  # falls within 2 us of a threshold, so those are only reported here.
  # shellcheck disable=SC2046
  # REDEFINE="key ...": keys whose definition changed on purpose may change too.
  local redefine=() k
  for k in ${REDEFINE:-}; do redefine+=(--redefine "$k"); done
  python3 "$FX/expected.py" --dir "$OUT" --name "$1" --refresh --allow-borderline "${redefine[@]}" $(expected_args "$1")
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

# ---------------------------------------------------------------- scenarios
# record_NAME records NAME into $OUT and writes its expected file(s);
# check_NAME checks them (after recording and after --refresh).

record_clean_shutdown() {
  log "scenario clean-shutdown"
  start_server clean-shutdown
  start_capture clean-shutdown lo "$F443" "$OUT/clean-shutdown.pcap"
  agent_bg clean-shutdown --mode clean --close-at-ms 3000
  agent_wait clean-shutdown
  stop_capture clean-shutdown
  stop_server
  expected clean-shutdown "One symbol (btcusdt), 7 kline connections (1m 5m 15m 30m 1h 4h 1d) to fstream.binance.com:443 (local stand-in on 127.0.0.2), about 3 s of kline events and pings, then the agent closes every WebSocket cleanly (ws.close(1000)). In ws's closing handshake the server answers the agent's close frame and ends TCP at once, while the agent ends TCP as soon as that answer arrives, so which FIN comes first is a race, per connection: server first -> client CLOSE-WAIT -> LAST-ACK -> CLOSED; client first -> client TIME-WAIT." clean-shutdown.pcap

  log "scenario clean-shutdown copies (pcapng, gzip)"
  editcap -F pcapng "$OUT/clean-shutdown.pcap" "$OUT/clean-shutdown.pcapng"
  mkdir "$WORK/gz"
  cp "$OUT/clean-shutdown.pcap" "$WORK/gz/clean-shutdown.pcap"
  gzip "$WORK/gz/clean-shutdown.pcap"      # what tcpdump -z gzip does after a rotation
  mv "$WORK/gz/clean-shutdown.pcap.gz" "$OUT/clean-shutdown.pcap.gz"
  expected clean-shutdown.pcapng "pcapng copy of clean-shutdown.pcap (editcap -F pcapng): same packets, same connections." clean-shutdown.pcapng
  expected clean-shutdown.pcap.gz "gzip copy of clean-shutdown.pcap (gzip FILE, as tcpdump -z gzip leaves a rotated file): same packets, same connections." clean-shutdown.pcap.gz
}
check_clean_shutdown() {
  check clean-shutdown 'len(C) == 7 and kinds == {"fin": 7} and all(c["handshakeSeen"] and c["zeekConnState"] == "SF" for c in C)'
  check clean-shutdown.pcapng 'E["format"] == "pcapng" and len(C) == 7'
  check clean-shutdown.pcap.gz 'E["format"] == "pcap" and len(C) == 7'
  python3 - "$OUT" <<'EOF' || die "copies of clean-shutdown disagree"
import json, sys
d = sys.argv[1]
a, b, c = (json.load(open(f"{d}/{n}.expected.json")) for n in ("clean-shutdown", "clean-shutdown.pcapng", "clean-shutdown.pcap.gz"))
sys.exit(0 if a["connections"] == b["connections"] == c["connections"] and a["packets"] == b["packets"] == c["packets"] else 1)
EOF
}

record_server_close_reconnect() {
  log "scenario server-close-reconnect"
  start_server server-close-reconnect --action close --action-at-ms 1500
  start_capture server-close-reconnect lo "$F443" "$OUT/server-close-reconnect.pcap"
  agent_bg server-close-reconnect --mode reconnect --reconnect-delay-ms 300 --close-at-ms 4000
  agent_wait server-close-reconnect
  stop_capture server-close-reconnect
  stop_server
  expected server-close-reconnect "7 kline connections; after 1.5 s the server closes all 7 with a WebSocket close frame (1001 going away) followed by TCP close; the agent reconnects each once (300 ms later), receives data for ~2 s more, then closes all 7 new connections cleanly. 14 connections: C1-C7 closed by the server's close frame (the agent answers with its own close frame; which TCP FIN comes first is a race here too: seen both ways across recordings), C8-C14 closed by the agent (which FIN comes first is a race, as in clean-shutdown)." server-close-reconnect.pcap
}
check_server_close_reconnect() {
  check server-close-reconnect 'len(C) == 14 and kinds == {"fin": 14}'
}

record_close_wait() {
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
}
check_close_wait() {
  check close-wait 'len(C) == 7 and kinds == {"fin": 7} and all(c["clientState"] == "CLOSE-WAIT" and c["closeInitiator"] == "server" for c in C)'
}

record_agent_reset() {
  log "scenario agent-reset"
  start_server agent-reset
  start_capture agent-reset lo "$F443" "$OUT/agent-reset.pcap"
  agent_bg agent-reset --mode reset --close-at-ms 2000
  agent_wait agent-reset
  stop_capture agent-reset
  stop_server
  expected agent-reset "7 kline connections; after 2 s the agent aborts every connection with socket.resetAndDestroy() (SO_LINGER 0), so the client sends RST instead of FIN and no WebSocket close frame is exchanged." agent-reset.pcap
}
check_agent_reset() {
  check agent-reset 'len(C) == 7 and kinds == {"rst": 7} and all(c["closeInitiator"] == "client" and c["clientState"] == "CLOSED" for c in C)'
}

record_refused_unanswered() {
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
}
check_refused_unanswered() {
  check refused-unanswered 'len(C) == 13 and kinds == {"fin": 7, "refused": 3, "unanswered": 3}'
}

record_midstream() {
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
}
check_midstream() {
  check midstream 'len(C) == 7 and kinds == {"fin": 7} and not any(c["handshakeSeen"] for c in C)'
}

record_any_nano() {
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
}
check_any_nano() {
  check any-nano 'len(C) == 7 and kinds == {"fin": 7} and E["linkType"] == 276 and E["timestampPrecision"] == "ns" and E["packets"] - E["tcpPackets"] == 5'
}

record_ipv6_clean() {
  log "scenario ipv6-clean"
  start_server ipv6-clean --listen "$SERVER_V4:443,[::1]:443"
  start_capture ipv6-clean lo "host ::1 and tcp port 443" "$OUT/ipv6-clean.pcap"
  agent_bg ipv6-clean --mode clean --close-at-ms 3000 --host ::1
  agent_wait ipv6-clean
  stop_capture ipv6-clean
  stop_server
  expected ipv6-clean "Like clean-shutdown but over IPv6 loopback: 7 kline connections from [::1] to [::1]:443 (SNI fstream.binance.com), ~3 s of data, then the agent closes all cleanly (first FIN: a race, as in clean-shutdown)." ipv6-clean.pcap
}
check_ipv6_clean() {
  check ipv6-clean 'len(C) == 7 and kinds == {"fin": 7} and all(c["server"] == "[::1]:443" for c in C)'
}

record_rotated() {
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
}
check_rotated() {
  check rotated 'len(C) == 7 and kinds == {"fin": 7} and len(E["files"]) >= 2'
}

record_snaplen() {
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
  expected snaplen-64 "Like clean-shutdown (7 connections, ~2 s, agent closes cleanly) recorded with tcpdump -s 64: every packet keeps its Ethernet, IPv4 and 20-byte TCP header, but TCP options and payload are cut. Payload byte counts come from the IP total length, so they equal an uncut capture's (tshark agrees)." snaplen-64.pcap
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
}
check_snaplen() {
  check snaplen-64 'len(C) == 7 and kinds == {"fin": 7} and sum(c["s2cBytes"] for c in C) > 0'
}

record_lossy() {
  log "scenario lossy"
  if awk -v q="$NFQUEUE_NUM" '$1 == q {found = 1} END {exit !found}' /proc/net/netfilter/nfnetlink_queue 2>/dev/null; then
    die "lossy: a process listens on NFQUEUE $NFQUEUE_NUM (the rule would deliver packets to it)"
  fi
  start_server lossy --tick-ms 100
  start_capture lossy lo "$F443" "$OUT/lossy.pcap"
  iptables -I "${LOSSY_RULE[@]}"
  LOSSY_ADDED=1
  agent_bg lossy --mode clean --close-at-ms 4000
  agent_wait lossy
  stop_capture lossy
  local lost
  lost=$(iptables -L OUTPUT -v -n -x | awk -v c="wscap-make-fixtures-$$-lossy" 'index($0, c) {print $1}')
  iptables -D "${LOSSY_RULE[@]}"
  LOSSY_ADDED=0
  stop_server
  log "lossy: the rule took $lost server packet(s) away"
  expected lossy "Upstream loss seen from the client host: 7 kline connections (events every 100 ms for this one, pings every 2 s) for ~4 s, while an iptables rule (OUTPUT -o lo, from $SERVER_V4:443, statistic random 0.05, NFQUEUE to a queue nobody listens on) makes ~5% of the server's packets to the client vanish after the server's TCP sent them and before they reach lo, so tcpdump never sees them: real gaps, duplicate ACKs from the client, retransmissions from the server (RACK/fast recovery or RTO), some out-of-order arrivals. SYN-ACKs and packets over 400 bytes (TLS handshake flight, upgrade answer) are spared, so every connection opens and upgrades undisturbed; kline events, pings, ACKs, close frames, close_notify and FINs can be lost (in this recording the rule took $lost packet(s)). Then the agent closes all 7 cleanly (first FIN: a race, as in clean-shutdown)." lossy.pcap
}
check_lossy() {
  check lossy 'len(C) == 7 and kinds == {"fin": 7} and sum(c["s2cRetransmissions"] for c in C) > 0 and sum(c["c2sDupAcks"] for c in C) > 0 and all(c["s2cRecords"] is not None for c in C)'
}

record_zero_window() {
  log "scenario zero-window"
  start_server zero-window --burst-at-ms 1500 --burst-count 4 --burst-bytes 8192 --burst-every-ms 5
  start_capture zero-window lo "$F443" "$OUT/zero-window.pcap"
  pyagent_bg zero-window --conns 1m,5m,15m --rcvbuf 4096 --rcvbuf-only 1m,5m --pause 1m,5m \
    --pause-at-ms 1000 --pause-ms 3000 --close-at-ms 6000
  agent_wait zero-window
  stop_capture zero-window
  stop_server
  expected zero-window "A receiver that stops reading: 3 kline connections (1m 5m 15m) from a Python client (scripts/fixtures/pyagent.py); on 1m and 5m it sets SO_RCVBUF 4096 before connect (Linux doubles it: 8 KB, so the window it advertises is small). 1 s after it started, the agent stops reading on 1m and 5m (no recv() at all) for 3 s; 1.5 s after the first connection opened the server sends every connection 4 text messages of 8 KB, 5 ms apart, besides the usual kline events (every 250 ms) and pings (every 2 s). On the two paused connections the client's receive buffer fills and it advertises a zero window; what does not fit waits at the server (its kline events and pings go on too), whose kernel probes the closed window with exponential backoff, ~0.2 s, 0.4 s, 0.8 s (Linux's zero-window probes carry no payload and reuse sequence number snd_una - 1, so tshark flags them as keep-alives, not as zero-window probes; the client answers them with zero-window ACKs). When the agent reads again, 3 s after it stopped, the client sends a window update and the backlog flows in window-sized segments; the server never gives up. 2 s later the agent closes all 3 cleanly: masked close frame, the server's close frame, close_notify and FIN, the client's close_notify and FIN (which FIN comes first is a race). 15m (default receive buffer) keeps reading throughout: the control." zero-window.pcap
}
check_zero_window() {
  check zero-window 'len(C) == 3 and kinds == {"fin": 3} and sum(1 for c in C if c["c2sZeroWindows"] > 0) == 2 and all(c["s2cRecords"] is not None for c in C)'
}

record_quiet_streams() {
  log "scenario quiet-streams"
  start_server quiet-streams --quiet-intervals 4h,1d --quiet-after-events 4 --quiet-ms 5000
  start_capture quiet-streams lo "$F443" "$OUT/quiet-streams.pcap"
  agent_bg quiet-streams --mode clean --close-at-ms 8000
  agent_wait quiet-streams
  stop_capture quiet-streams
  stop_server
  expected quiet-streams "Two quiet streams among seven: 7 kline connections; on the 4h and 1d connections the server stops its kline timer right after their 4th event (about 1 s after opening) and sends the next event exactly 5.0 s later (a one-shot 5000 ms timer, then the 250 ms ticks again): a built silence of 5.0 s between two kline events (plus timer jitter of a few ms), while WebSocket pings (every 2 s) go on and the other 5 connections get an event every 250 ms throughout. maxDataSilenceS of those two connections is that silence (an analyser must show 5.0 s +- 0.5 s); the others stay near 0.25 s. The agent closes all 7 cleanly after 8 s (first FIN: a race, as in clean-shutdown)." quiet-streams.pcap
}
check_quiet_streams() {
  check quiet-streams 'len(C) == 7 and kinds == {"fin": 7} and sum(1 for c in C if 4.5 <= c["maxDataSilenceS"] <= 5.5) == 2 and sum(1 for c in C if c["maxDataSilenceS"] < 1.0) == 5'
}

record_pings_only() {
  log "scenario pings-only"
  start_server pings-only --legacy-paths pings-only --ping-ms 1000
  start_capture pings-only lo "$F443" "$OUT/pings-only.pcap"
  agent_bg pings-only --mode clean --close-at-ms 5000 --path-style legacy
  agent_wait pings-only
  stop_capture pings-only
  stop_server
  expected pings-only "Subscriptions that deliver nothing, like Binance's retired legacy URLs: 7 connections to the legacy-style paths /ws/btcusdt@kline_<interval> (not /market/ws/...). The server accepts the upgrade (101) but never sends a kline event on them, only a WebSocket ping every 1 s (the agent's ws answers each with a pong). After ~5 s the agent closes all 7 cleanly. Every server record after the upgrade is control-size (pings, the close frame, close_notify): s2cRecords.data is 0 and maxDataSilenceS is the whole time from the upgrade answer to the first FIN. Each pong follows its ping by a few ms, so every record is less than 1.0 s before the next one: the closing run of control-size records (at most 1.0 s apart, no data-size record) reaches back past the agent's close frame through all the pings and pongs to the first ping after the upgrade, and wsInitiator names its sender, the server (a stream without data records has no quiet moment to delimit the close; see the tally). The pong-to-next-ping gaps are a few ms under 1.0 s (Node's ping timer drifts late, the pong comes a few ms after the ping), none within 2 us of it." pings-only.pcap
}
check_pings_only() {
  check pings-only 'len(C) == 7 and kinds == {"fin": 7} and all(c["s2cRecords"]["data"] == 0 and c["s2cRecords"]["control"] >= 4 and c["maxDataSilenceS"] > 4.5 for c in C)'
}

record_snaplen_128() {
  log "scenario snaplen-128"
  start_server snaplen-128
  # an uncut reference capture of the same traffic (not published): where the SNI sits
  timeout -s INT -k 5 60 tcpdump -i lo "${TCPDUMP_OPTS[@]}" -w "$WORK/snaplen-128-full.pcap" "$F443" \
    2>"$WORK/snaplen-128-full.tcpdump.err" &
  SNAPFULL_PID=$!
  PIDS+=("$SNAPFULL_PID")
  wait_for "$WORK/snaplen-128-full.tcpdump.err" '^tcpdump: listening on' 10
  start_capture snaplen-128 lo "$F443" "$OUT/snaplen-128.pcap" -s 128
  agent_bg snaplen-128 --mode clean --close-at-ms 2000
  agent_wait snaplen-128
  stop_capture snaplen-128
  stop_pid "$SNAPFULL_PID" INT
  stop_server
  expected snaplen-128 "Like clean-shutdown (7 connections, ~2 s, agent closes cleanly) recorded with tcpdump -s 128: Ethernet (14) + IPv4 (20) + TCP with timestamps (32) leave 62 bytes of each payload, so every ClientHello (~377 bytes) is cut long before its server_name extension (sni null, sniCut true; versionsOffered/alpnOffered unknown: null) and the ServerHello before its supported_versions (tlsVersion null). The first 6 bytes of each direction (record header + handshake type) are there, so tlsMs is known; the TLS records cannot be followed (payload cut), so the record keys are null. TCP headers are whole: counts as in an uncut capture." snaplen-128.pcap
}
check_snaplen_128() {
  check snaplen-128 'len(C) == 7 and kinds == {"fin": 7} and all(c["sni"] is None and c["sniCut"] and c["tlsMs"] is not None and c["c2sRecords"] is None for c in C)'
  if [ -f "$WORK/snaplen-128-full.pcap" ]; then  # recorded now (not on --refresh): the SNI was there
    local n
    n=$(tshark -n -r "$WORK/snaplen-128-full.pcap" -Y 'tls.handshake.extensions_server_name == "fstream.binance.com"' \
      -T fields -e frame.number 2>/dev/null | wc -l)
    [ "$n" = 7 ] || die "snaplen-128: the uncut reference capture has $n ClientHello(s) with the SNI, not 7"
  fi
}

record_large_clienthello() {
  log "scenario large-clienthello"
  start_server large-clienthello
  # lo hands tcpdump whole GSO super-packets (a 1.3 KB "segment" despite MSS 536);
  # with gso_max_segs 1 every segment is its own packet, as on a wire.
  GSO_SAVED=$(ip -d link show dev lo | sed -n 's/.* gso_max_segs \([0-9]*\).*/\1/p')
  [ -n "$GSO_SAVED" ] || die "large-clienthello: cannot read lo's gso_max_segs"
  ip link set dev lo gso_max_segs 1
  start_capture large-clienthello lo "$F443" "$OUT/large-clienthello.pcap"
  pyagent_bg large-clienthello --conns 1m,5m@1.2 --alpn-count 40 --mss 536 --close-at-ms 2500
  agent_wait large-clienthello
  stop_capture large-clienthello
  ip link set dev lo gso_max_segs "$GSO_SAVED"
  GSO_SAVED=
  stop_server
  expected large-clienthello "A ClientHello that spans 3 TCP segments: 2 kline connections from a Python client (scripts/fixtures/pyagent.py: python3 ssl + socket, the WebSocket upgrade and frames by hand) offering 40 ALPN protocol names ('http/1.1' + 39 made-up 'x-wscap-fixture-alpn-NNN'), which makes its ClientHello ~1.2-1.3 KB, with TCP_MAXSEG 536 set before connect (SYN MSS 536: 524-byte segments with timestamps) and lo's gso_max_segs lowered to 1 while recording (else lo hands tcpdump one GSO super-packet). The server's first flight spans 2 segments too (the SYN's MSS limits it as well). C1 negotiates TLS 1.3 (versionsOffered 0x0304, 0x0303; the server's ALPN choice is in the encrypted EncryptedExtensions: alpn null); C2 is capped at TLS 1.2 (no supported_versions extension: versionsOffered [0x0303]; the cleartext ServerHello shows the ALPN Node's https server selected). ~2.5 s of kline events and a ping, then the client sends a masked close frame (1000), reads the server's close frame and its close_notify, and answers with its own close_notify and FIN (the server's FIN follows its close_notify: which FIN comes first is a race). In TLS 1.2 close_notify is an alert record (type 21), so, unlike TLS 1.3, it is not an application-data record and not in the record classes." large-clienthello.pcap
}
check_large_clienthello() {
  check large-clienthello 'len(C) == 2 and kinds == {"fin": 2} and all(c["sni"] == "fstream.binance.com" and len(c["alpnOffered"]) == 40 for c in C) and [c["tlsVersion"] for c in C] == ["TLS 1.3", "TLS 1.2"]'
  # tshark reassembles each ClientHello from >= 2 segments and finds the SNI in it
  tshark -n -r "$OUT/large-clienthello.pcap" -o tls.desegment_ssl_records:TRUE -o tcp.desegment_tcp_streams:TRUE \
    -Y 'tls.handshake.type == 1' -T fields -e tcp.stream -e tcp.segment.count -e tls.handshake.extensions_server_name \
    2>/dev/null >"$WORK/large-clienthello.hello"
  awk -F'\t' '$2 >= 2 && $3 == "fstream.binance.com" {ok++} END {exit !(ok == 2 && NR == 2)}' "$WORK/large-clienthello.hello" \
    || die "large-clienthello: ClientHellos not reassembled from >= 2 segments with the SNI: $(tr '\t\n' ' ;' <"$WORK/large-clienthello.hello")"
  log "large-clienthello: ClientHello segments per connection: $(cut -f2 "$WORK/large-clienthello.hello" | tr '\n' ' ')"
}

record_dns_names() {
  log "scenario dns-names"
  start_server dns-names
  start_dns dns-names
  start_capture dns-names lo "($F443) or (host $DNS_V4 and udp port 53)" "$OUT/dns-names.pcap"
  agent_bg dns-names --mode clean --close-at-ms 3000 --dns "$DNS_V4" --no-sni-count 1
  agent_wait dns-names
  stop_capture dns-names
  stop_dns
  stop_server
  grep -q '^RESOLVED 127\.0\.0\.2 ::1$' "$WORK/dns-names.agent.out" \
    || die "dns-names: the agent did not resolve 127.0.0.2 and ::1: $(cat "$WORK/dns-names.agent.out")"
  expected dns-names "The agent resolves fstream.binance.com through a DNS server before connecting: a real A query and a real AAAA query (Node dns.Resolver, setServers 127.0.0.3, UDP port 53, c-ares) answered by scripts/fixtures/dns-server.mjs with a made-up CDN-like chain, fstream.binance.com CNAME fstream.binance.com.cdn.example CNAME WS-Edge-7.cdn.example (mixed case as sent; names compare case-insensitively and are expected lowercased), A 127.0.0.2 / AAAA ::1; names compressed as real servers do: the first CNAME's owner points to the question, the second CNAME's owner to the first target, the second target ends in a pointer to cdn.example, and the address record's owner points to that second target (a pointer to a name that ends in a pointer). c-ares sends no EDNS OPT record, so the responses have none. Then its 7 kline connections to the A address, closed cleanly after 3 s (first FIN: a race, as in clean-shutdown), plus one more WebSocket connection started with them whose ClientHello has no server_name extension (Node tls.connect with servername ''): the server's SNICallback runs only for a ClientHello that names a server, so the TLS 1.3 handshake completes (default certificate); the server's upgrade check (socket.servername must be fstream.binance.com) answers the upgrade request with HTTP 400 and closes (TLS close_notify, an encrypted record in TLS 1.3, and FIN); the agent's ws gives up on the 400 and destroys its socket with the server's close_notify unread (or arriving after the destroy), so the client's kernel answers with RST: closeKind rst (whether the server's FIN or the client's FIN came before that RST is a race). dnsNames: server address -> names, from tshark's dns.qry.name, dns.cname, dns.a and dns.aaaa of the responses with rcode 0 (question name first, then each CNAME target; each name once); dnsResponses: every DNS response as tshark reads it." dns-names.pcap
}
check_dns_names() {
  check dns-names 'len(C) == 8 and [c["closeKind"] for c in C if c["sni"] is not None] == ["fin"] * 7 and [(c["sniCut"], c["tlsVersion"], c["closeKind"]) for c in C if c["sni"] is None] == [(False, "TLS 1.3", "rst")] and E["dnsNames"] == {"127.0.0.2": ["fstream.binance.com", "fstream.binance.com.cdn.example", "ws-edge-7.cdn.example"], "::1": ["fstream.binance.com", "fstream.binance.com.cdn.example", "ws-edge-7.cdn.example"]} and len(E["dnsResponses"]) == 2'
}

# hostile-sni: ClientHellos whose server_name is made to break a report: HTML and
# script, an attribute breaker, Markdown link/image/table/emphasis, a tab, a
# newline, terminal escape sequences (SGR colour, OSC window title), non-ASCII.
# Each is sent by a real TLS client (OpenSSL checks only the name's length),
# one connection per name:
#  * these by Node's tls.connect({ servername }) (agent.mjs --hostile-sni; a JS
#    string: Node hands OpenSSL its UTF-8 bytes), in this order:
HOSTILE_SNI_NODE_JSON='[
  "<script>alert(1)</script>",
  "\"><img src=x onerror=alert(1)>",
  "[x](http://evil.example)",
  "![i](http://evil.example/i.png)",
  "|pipe|",
  "*em*",
  "tab\there.example",
  "line\nbreak.example",
  "\u001b[31mred.example",
  "\u001b]0;owned\u0007.example",
  "caf\u00e9-\u20ac.example"
]'
#  * and, before them, this one by `openssl s_client -servername` (it passes its
#    argv bytes as they are): latin1 0xE9, a byte sequence that is not UTF-8 and
#    that a JS string cannot carry (Node would send C3 A9). A printf format:
HOSTILE_SNI_LATIN1='caf\351.example'
# Neither client can send a NUL (both hand OpenSSL a C string: Node silently
# cuts the name there, so agent.mjs refuses such a name), so there is none.

record_hostile_sni() {
  log "scenario hostile-sni"
  start_server hostile-sni
  printf '%s\n' "$HOSTILE_SNI_NODE_JSON" >"$WORK/hostile-sni.names.json"
  start_capture hostile-sni lo "$F443" "$OUT/hostile-sni.pcap"
  # C1: openssl s_client with the byte 0xE9 as is. No input: it ends once the
  # server has refused the name (it closes the connection: s_client fails).
  local latin1
  # shellcheck disable=SC2059
  latin1=$(printf "$HOSTILE_SNI_LATIN1")
  if timeout -k 2 10 openssl s_client -connect "$SERVER_V4:443" -servername "$latin1" \
       </dev/null >"$WORK/hostile-sni.s_client.out" 2>&1; then
    die "hostile-sni: openssl s_client completed a handshake: $(tail -5 "$WORK/hostile-sni.s_client.out")"
  fi
  sleep 1
  # C2-C12: the agent's hostile names, one after the other; C13: one ordinary
  # kline connection (SNI fstream.binance.com), closed cleanly after 2 s.
  agent_bg hostile-sni --mode clean --close-at-ms 2000 --hostile-sni "$WORK/hostile-sni.names.json"
  agent_wait hostile-sni
  stop_capture hostile-sni
  stop_server
  [ "$(grep -c '^HOSTILE ' "$WORK/hostile-sni.agent.out")" = 11 ] \
    || die "hostile-sni: the agent did not make 11 hostile connections: $(cat "$WORK/hostile-sni.agent.out")"
  [ "$(grep -c 'rejecting TLS handshake with SNI' "$WORK/hostile-sni.server.log")" = 12 ] \
    || die "hostile-sni: the server did not refuse 12 names: $(cat "$WORK/hostile-sni.server.log")"
  expected hostile-sni "ClientHellos whose server_name is hostile, each sent by a real TLS client on its own connection, one connection at a time, about 1 s apart. The fixture server refuses every SNI but fstream.binance.com: its SNICallback fails and Node's TLS server destroys the socket, so it sends FIN, no TLS alert and no ServerHello (tlsVersion null; the records are not followed: the server sent no payload); the ClientHello is in the capture, which is what matters. C1: openssl s_client -servername with the bytes 'caf' E9 '.example' (latin1 e-acute, not UTF-8: a JS string cannot carry it); after the server's FIN, s_client sends a fatal decode_error alert into the closed socket and the server's kernel answers with RST: closeKind rst, zeekConnState RSTR. C2-C12: Node tls.connect({ servername }) (scripts/fixtures/agent.mjs --hostile-sni: Node passes the name's UTF-8 bytes to OpenSSL, which checks only the length); each answers the server's FIN with its own: fin, SF. Their names, in this order: '<script>alert(1)</script>'; '\"><img src=x onerror=alert(1)>'; '[x](http://evil.example)'; '![i](http://evil.example/i.png)'; '|pipe|'; '*em*'; 'tab' 09 'here.example' (a tab); 'line' 0A 'break.example' (a newline); 1B '[31mred.example' (ESC: SGR red); 1B ']0;owned' 07 '.example' (an OSC window title ended by BEL); 'caf' C3 A9 '-' E2 82 AC '.example' (UTF-8 e-acute and euro sign; read one char per byte, 82 is a C1 control). C13: one ordinary kline WebSocket connection with SNI fstream.binance.com, closed cleanly by the agent after 2 s (first FIN: a race, as in clean-shutdown). sni holds the name's bytes one char per byte (latin1), from the raw bytes of tshark's tls.handshake.extensions_server_name (its text shows each byte >= 0x80 as U+FFFD, and -T fields shows a tab or newline as \\t or \\n)." hostile-sni.pcap
}
check_hostile_sni() {
  # every name exactly as sent (its bytes, one char per byte), in connection order
  # shellcheck disable=SC2059
  python3 - "$OUT/hostile-sni.expected.json" "$HOSTILE_SNI_NODE_JSON" "$(printf "$HOSTILE_SNI_LATIN1")" <<'EOF' || die "hostile-sni: check failed"
import json, os, sys
E = json.load(open(sys.argv[1])); C = E["connections"]
want = ([os.fsencode(sys.argv[3]).decode("latin-1")]
        + [n.encode("utf-8").decode("latin-1") for n in json.loads(sys.argv[2])] + ["fstream.binance.com"])
got = [c["sni"] for c in C]
if got != want:
    print(f"sni {got!r}\n != {want!r}", file=sys.stderr)
    sys.exit(1)
last = C[-1]
ok = ([c["closeKind"] for c in C] == ["rst"] + ["fin"] * 12
      and last["tlsVersion"] == "TLS 1.3" and last["s2cRecords"]["data"] > 0
      and all(c["tlsVersion"] is None and c["handshakeSeen"] and not c["sniCut"]
              and c["c2sRecords"] == {"control": 0, "data": 0} and c["s2cRecords"] is None and c["s2cBytes"] == 0
              for c in C[:-1]))
sys.exit(0 if ok else 1)
EOF
}

# ------------------------------------------------------ files per scenario
scenario_files() {  # scenario_files NAME: the file name patterns (in fixtures/) it writes
  case $1 in
    clean-shutdown) echo "clean-shutdown.pcap clean-shutdown.pcapng clean-shutdown.pcap.gz" \
      "clean-shutdown.expected.json clean-shutdown.pcapng.expected.json clean-shutdown.pcap.gz.expected.json" ;;
    rotated) echo "rotated-*.pcap rotated.expected.json" ;;
    snaplen) echo "snaplen-64.pcap snaplen-64.expected.json snaplen-40.pcap snaplen-40.expected.json" ;;
    *) echo "$1.pcap $1.expected.json" ;;
  esac
}
scenario_expected() {  # scenario_expected NAME: the expected files --refresh recomputes
  case $1 in
    clean-shutdown) echo "clean-shutdown clean-shutdown.pcapng clean-shutdown.pcap.gz" ;;
    snaplen) echo "snaplen-64" ;;   # snaplen-40.expected.json has no connections: nothing to add
    *) echo "$1" ;;
  esac
}

# ------------------------------------------------------------------ refresh
if [ "$REFRESH" = 1 ]; then
  log "refresh: ${SCENARIOS[*]}"
  for sc in "${SCENARIOS[@]}"; do
    n_files=0
    read -r -a pats <<<"$(scenario_files "$sc")"   # no pathname expansion of the patterns
    for pat in "${pats[@]}"; do
      while IFS= read -r f; do
        cp -p "$f" "$OUT/"
        n_files=$((n_files + 1))
      done < <(find "$DEST" -maxdepth 1 -type f -name "$pat" | sort)
    done
    [ "$n_files" -gt 0 ] || die "refresh: no files of scenario $sc in $DEST (record it first)"
    for n in $(scenario_expected "$sc"); do
      [ -f "$OUT/$n.expected.json" ] || die "refresh: $DEST/$n.expected.json missing"
      refresh_expected "$n"
    done
    "check_${sc//-/_}"
  done
  for sc in "${SCENARIOS[@]}"; do
    for n in $(scenario_expected "$sc"); do
      cp "$OUT/$n.expected.json" "$DEST/.$n.expected.json.tmp"
      mv -f "$DEST/.$n.expected.json.tmp" "$DEST/$n.expected.json"
    done
  done
  log "refreshed $(for sc in "${SCENARIOS[@]}"; do scenario_expected "$sc"; done | wc -w) expected file(s) in $DEST"
  log "done"
  exit 0
fi

# ---------------------------------------------------------------- preflight
for addr in "$SERVER_V4" "[::1]"; do
  if ss -Hltn "sport = :443" | awk '{print $4}' | grep -qE "^(\\*|0\\.0\\.0\\.0|\\[::\\]|${addr//./\\.}):443$"; then
    die "something already listens on $addr:443"
  fi
done
if printf '%s\n' "${SCENARIOS[@]}" | grep -qxF dns-names \
   && ss -Hlun "sport = :53" | awk '{print $4}' | grep -qE "^(\\*|0\\.0\\.0\\.0|${DNS_V4//./\\.}):53$"; then
  die "something already listens on $DNS_V4:53 (udp)"
fi

log "throwaway self-signed certificate for $SNI in $WORK"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
  -keyout "$WORK/key.pem" -out "$WORK/cert.pem" -subj "/CN=$SNI" \
  -addext "subjectAltName=DNS:$SNI" >/dev/null 2>&1 || die "openssl failed"

F443="host $SERVER_V4 and tcp port 443"

# ------------------------------------------------------------------- record
log "record: ${SCENARIOS[*]}"
for sc in "${SCENARIOS[@]}"; do
  "record_${sc//-/_}"
  "check_${sc//-/_}"
done

# ------------------------------------------------------------------ publish
log "capinfos summary"
for f in "$OUT"/*.pcap "$OUT"/*.pcapng "$OUT"/*.pcap.gz; do
  [ -f "$f" ] || continue
  capinfos -t -E -c -i "$f" 2>/dev/null | awk -v f="$(basename "$f")" \
    '/File type|File encapsulation|Number of packets|Data size/ {sub(/^[^:]*: +/, ""); s = s " | " $0} END {print "  " f s}' >&2
done

mkdir -p "$DEST"
# replace exactly the files of the recorded scenarios (README.md and every other
# scenario's files stay). Each file is replaced by a rename, so a reader never
# sees it missing or half written; a previous file the new recording did not
# produce again (e.g. a rotated-3.pcap) is removed afterwards.
n_pub=0
for sc in "${SCENARIOS[@]}"; do
  read -r -a pats <<<"$(scenario_files "$sc")"   # no pathname expansion of the patterns
  for pat in "${pats[@]}"; do
    while IFS= read -r f; do
      b=$(basename "$f")
      cp "$f" "$DEST/.$b.tmp"
      mv -f "$DEST/.$b.tmp" "$DEST/$b"
      n_pub=$((n_pub + 1))
    done < <(find "$OUT" -maxdepth 1 -type f -name "$pat" | sort)
    while IFS= read -r f; do
      [ -e "$OUT/$(basename "$f")" ] || rm -f "$f"
    done < <(find "$DEST" -maxdepth 1 -type f -name "$pat")
  done
done
log "wrote $n_pub file(s) to $DEST ($(du -sh "$DEST" | cut -f1))"
log "done"
