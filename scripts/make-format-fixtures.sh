#!/usr/bin/env bash
# Regenerate fixtures/formats/: small real captures of TLS connections in every capture-file
# variant wscap's reader supports, each with NAME.expected.json (counts from tshark, never wscap).
#
#   sudo bash scripts/make-format-fixtures.sh        (root: network namespaces, tcpdump)
#
# All traffic stays inside network namespaces this script creates (named wsf<PID>*); it is bounded
# to 90 s (it re-runs itself under timeout(1)) and its EXIT trap kills every process it started
# (by PID) and deletes its namespaces (which removes every veth/tun it made in them).
# Helpers: scripts/formats/*.py (python3 stdlib only). See fixtures/formats/README.md.
set -euo pipefail

if [[ -z "${WSF_BOUNDED:-}" ]]; then
  export WSF_BOUNDED=1
  exec timeout -k 5 90 bash "$0" "$@"
fi

ROOT=$(cd "$(dirname "$0")/.." && pwd)
HELP=$ROOT/scripts/formats
DEST=$ROOT/fixtures/formats
P=wsf$$                      # namespace prefix, unique per run
SNI=fstream.binance.com

die() { echo "make-format-fixtures: $*" >&2; exit 1; }
[[ $(id -u) == 0 ]] || die "must run as root (network namespaces, packet capture)"
for t in tcpdump dumpcap tshark editcap mergecap capinfos openssl curl python3 ip ss gzip timeout; do
  command -v "$t" >/dev/null || die "missing tool: $t"
done

TMP=$(mktemp -d /tmp/wscap-formats.XXXXXX)
OUT=$TMP/out
mkdir -p "$OUT"
PIDS=()
NSS=()

cleanup() {
  local rc=$?
  set +e
  for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null; done
  for ns in "${NSS[@]}"; do ip netns del "$ns" 2>/dev/null; done
  if [[ $rc != 0 ]]; then
    echo "make-format-fixtures: FAILED (exit $rc); logs:" >&2
    tail -n 5 "$TMP"/*.log >&2 2>/dev/null
  fi
  if [[ -n ${WSF_KEEP:-} ]]; then echo "kept $TMP" >&2; else rm -rf "$TMP"; fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ------------------------------------------------------------------ helpers
# bg NS LOG CMD...: run CMD in namespace NS (NS "-": this one) in the background, bounded;
# its PID (timeout's, which passes signals on to CMD) goes to $BGPID and the cleanup list
bg() {
  local ns=$1 log=$2; shift 2
  if [[ $ns == - ]]; then
    timeout -k 2 60 "$@" >"$TMP/$log.log" 2>&1 &
  else
    ip netns exec "$ns" timeout -k 2 60 "$@" >"$TMP/$log.log" 2>&1 &
  fi
  BGPID=$!
  PIDS+=("$BGPID")
}

# wait_for FILE REGEX: until FILE has a line matching REGEX (max 10 s)
wait_for() {
  local i
  for i in $(seq 200); do
    grep -qE "$2" "$1" 2>/dev/null && return 0
    sleep 0.05
  done
  die "timed out waiting for /$2/ in $1"
}

# wait_listen NS [N]: until N (default 1) sockets listen on TCP port 443 in NS (max 10 s)
wait_listen() {
  local i
  for i in $(seq 200); do
    (( $(ip netns exec "$1" ss -Hltn 'sport = :443' | wc -l) >= ${2:-1} )) && return 0
    sleep 0.05
  done
  die "nothing listens on :443 in $1"
}

# mkns NAME [v4only]: a namespace with lo up
mkns() {
  ip netns add "$1"
  NSS+=("$1")
  if [[ ${2:-} == v4only ]]; then
    ip netns exec "$1" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
  fi
  ip -n "$1" link set lo up
}

# link_pair NS_SERVER NS_CLIENT SUBNET: veth0 in each, SUBNET.1 = server, SUBNET.2 = client
link_pair() {
  ip link add veth0 netns "$1" type veth peer name veth0 netns "$2"
  ip -n "$1" addr add "$3.1/24" dev veth0
  ip -n "$2" addr add "$3.2/24" dev veth0
}
# links_up NS1 NS2: GSO limited to one segment, so that TCP sends (and tcpdump records) frames of at
# most one MSS, as on a physical link, instead of veth's default multi-KB TSO super-frames
links_up() {
  local ns
  for ns in "$1" "$2"; do ip -n "$ns" link set veth0 gso_max_segs 1 up; done
}

# capture NS LOG tcpdump-args...: start tcpdump, wait until it listens
capture() {
  local ns=$1 log=$2; shift 2
  # -B: a 32 MB ring; immediate mode with the default 2 MB one drops bursts of 64 KB loopback packets
  bg "$ns" "$log" tcpdump --immediate-mode -B 32768 -U -n "$@"
  wait_for "$TMP/$log.log" "listening on"
}

# s_server NS ADDR COUNT: openssl's HTTPS status page (-www) for COUNT connections, then exit
s_server() {
  bg "$1" "server-$1-${2//[^0-9a-z]/_}" openssl s_server -quiet -www -accept "$2:443" -cert "$TMP/cert.pem" -key "$TMP/key.pem" -naccept "$3"
  SERVERS+=("$BGPID")
}

# client KIND NS ADDR: one HTTPS/1.x request, read to the end, clean close
client() {
  _client "$@" || die "client $1 in $2 to $3 failed (see clients.log)"
}
_client() {
  case $1 in
    openssl)
      printf 'GET / HTTP/1.0\r\nHost: %s\r\n\r\n' "$SNI" |
        ip netns exec "$2" timeout 10 openssl s_client -quiet -ign_eof -connect "$3:443" -servername "$SNI" \
          >/dev/null 2>>"$TMP/clients.log" ;;
    curl)
      ip netns exec "$2" timeout 10 curl -sSk --http1.1 --resolve "$SNI:443:$3" "https://$SNI/" \
        -o /dev/null 2>>"$TMP/clients.log" ;;
    tls6)
      ip netns exec "$2" timeout 10 python3 "$HELP/tls6.py" client "$3" 443 "$SNI" 2>>"$TMP/clients.log" ;;
  esac
}

stop() { # stop PID...: SIGINT (tcpdump/dumpcap flush and close their files), then wait
  local pid
  for pid in "$@"; do kill -INT "$pid" 2>/dev/null || true; done
  for pid in "$@"; do wait "$pid" || true; done
}

expect() { # expect NAME "DESCRIPTION" FILE...
  local name=$1 desc=$2; shift 2
  python3 "$HELP/expected.py" --dir "$OUT" --name "$name" --files "$@" --description "$desc"
}

tcount() { tshark -n -r "$1" -Y "$2" 2>/dev/null | wc -l; }

# ------------------------------------------------------------------ setup
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 \
  -subj "/CN=$SNI" -addext "subjectAltName=DNS:$SNI" \
  -keyout "$TMP/key.pem" -out "$TMP/cert.pem" 2>/dev/null
SERVERS=()

echo "== namespaces, links, servers, captures" >&2
# 1. Ethernet + 802.1Q VID 100 on a veth pair between two namespaces
mkns "${P}vs" v4only; mkns "${P}vc" v4only
link_pair "${P}vs" "${P}vc" 198.18.100
ip netns exec "${P}vs" python3 "$HELP/vlantag.py" veth0 8021q:100 2>>"$TMP/setup.log"
ip netns exec "${P}vc" python3 "$HELP/vlantag.py" veth0 8021q:100 2>>"$TMP/setup.log"
links_up "${P}vs" "${P}vc"

# 2. QinQ: outer 802.1ad S-tag VID 200, inner 802.1Q C-tag VID 100
mkns "${P}qs" v4only; mkns "${P}qc" v4only
link_pair "${P}qs" "${P}qc" 198.18.101
ip netns exec "${P}qs" python3 "$HELP/vlantag.py" veth0 8021ad:200 8021q:100 2>>"$TMP/setup.log"
ip netns exec "${P}qc" python3 "$HELP/vlantag.py" veth0 8021ad:200 8021q:100 2>>"$TMP/setup.log"
links_up "${P}qs" "${P}qc"

# 3./4. loopback only, captured on "any"
mkns "${P}l1" v4only
mkns "${P}l2" v4only

# 5. raw IP: a tun device in each of two namespaces, joined by tunwire.py; IPv4 and IPv6
# (so that null-loopback/loop get both address families)
mkns "${P}ts"; mkns "${P}tc"
bg - tunwire python3 "$HELP/tunwire.py" "${P}ts" "${P}tc" tun0
wait_for "$TMP/tunwire.log" "^ready"
ip -n "${P}ts" addr add 198.18.200.1 peer 198.18.200.2 dev tun0
ip -n "${P}tc" addr add 198.18.200.2 peer 198.18.200.1 dev tun0
ip -n "${P}ts" -6 addr add 2001:2::1/64 dev tun0 nodad   # 2001:2::/48: benchmarking range
ip -n "${P}tc" -6 addr add 2001:2::2/64 dev tun0 nodad
ip -n "${P}ts" link set tun0 up; ip -n "${P}tc" link set tun0 up

# 7. IPv6 with extension headers on loopback
mkns "${P}6"

# 9./10. a native pcapng recording (dumpcap) on loopback
mkns "${P}g" v4only

# 10. plain Ethernet veth pair: the recording that is split into rotated pieces
mkns "${P}es" v4only; mkns "${P}ec" v4only
link_pair "${P}es" "${P}ec" 198.18.102
links_up "${P}es" "${P}ec"

# servers (each serves a fixed number of connections, then exits)
s_server "${P}vs" 198.18.100.1 4
s_server "${P}qs" 198.18.101.1 3
s_server "${P}l1" 127.0.0.2 3
s_server "${P}l2" 127.0.0.2 4
s_server "${P}ts" 198.18.200.1 3
s_server "${P}ts" "[2001:2::1]" 1
s_server "${P}g" 127.0.0.3 3
s_server "${P}es" 198.18.102.1 5
bg "${P}6" server-6 python3 "$HELP/tls6.py" server ::1 443 "$TMP/cert.pem" "$TMP/key.pem" 3
SERVERS+=("$BGPID")
for ns in vs qs l1 l2 g es 6; do wait_listen "$P$ns"; done
wait_listen "${P}ts" 2

# captures (the client side of each link: both directions, tags as on the wire)
CAPS=()
capture "${P}vc" cap-vlan -i veth0 -w "$OUT/ethernet-vlan.pcap";                 CAPS+=("$BGPID")
capture "${P}qc" cap-qinq -i veth0 -w "$OUT/ethernet-qinq.pcap";                 CAPS+=("$BGPID")
capture "${P}l1" cap-sll -i any -y LINUX_SLL -w "$OUT/linux-sll.pcap";           CAPS+=("$BGPID")
capture "${P}l2" cap-sll2 -i any -y LINUX_SLL2 --time-stamp-precision nano \
  -w "$OUT/linux-sll2-nano.pcap";                                                CAPS+=("$BGPID")
capture "${P}tc" cap-raw -i tun0 -w "$OUT/raw-ip.pcap";                          CAPS+=("$BGPID")
capture "${P}6" cap-ipv6 -i lo -w "$OUT/ipv6-ext.pcap";                          CAPS+=("$BGPID")
capture "${P}ec" cap-eth -i veth0 -w "$TMP/ethernet.pcap";                       CAPS+=("$BGPID")
bg "${P}g" cap-pcapng dumpcap -q -i lo -w "$TMP/dumpcap.pcapng";                 CAPS+=("$BGPID")
wait_for "$TMP/cap-pcapng.log" "Capturing on|File:"
sleep 0.3

# ------------------------------------------------------------------ traffic
# Round robin over the links so that concurrent recordings interleave in time (the merged
# multi-interface file then alternates between its interfaces).
echo "== traffic" >&2
for round in 1 2 3 4 5; do
  kind=openssl; (( round % 2 == 0 )) && kind=curl
  (( round <= 4 )) && client $kind "${P}vc" 198.18.100.1
  (( round <= 3 )) && client $kind "${P}qc" 198.18.101.1
  (( round <= 3 )) && client $kind "${P}l1" 127.0.0.2
  (( round <= 4 )) && client $kind "${P}l2" 127.0.0.2
  (( round <= 3 )) && client $kind "${P}tc" 198.18.200.1
  (( round == 4 )) && client openssl "${P}tc" "[2001:2::1]"
  (( round <= 3 )) && client tls6 "${P}6" ::1
  (( round <= 3 )) && client $kind "${P}g" 127.0.0.3
  client $kind "${P}ec" 198.18.102.1
done
for pid in "${SERVERS[@]}"; do wait "$pid" || die "a TLS server failed (see logs)"; done
sleep 0.5   # the last ACKs
stop "${CAPS[@]}"
for log in "$TMP"/cap-*.log; do
  ! grep -qE "[1-9][0-9]* packets? dropped by kernel" "$log" || die "capture dropped packets: $log"
done

# ------------------------------------------------------------------ derived files
echo "== derived files" >&2
cd "$OUT"
# 6. DLT_NULL / DLT_LOOP from the raw-IP recording (Linux cannot capture these link types)
python3 "$HELP/transform.py" null raw-ip.pcap null-loopback.pcap
python3 "$HELP/transform.py" loop raw-ip.pcap loop.pcap
# 8. byte-swapped (big-endian) classic pcap, microsecond and nanosecond
python3 "$HELP/transform.py" swap ethernet-vlan.pcap big-endian.pcap
python3 "$HELP/transform.py" swap linux-sll2-nano.pcap big-endian-nano.pcap
# 9. pcapng variants
mergecap -F pcapng -w multi-interface.pcapng ethernet-vlan.pcap linux-sll2-nano.pcap
editcap -F pcapng linux-sll2-nano.pcap nano.pcapng
editcap -F pcapng raw-ip.pcap "$TMP/raw-ip.pcapng"     # IDB without if_tsresol: microseconds
cat "$TMP/dumpcap.pcapng" "$TMP/raw-ip.pcapng" > multi-section.pcapng
python3 "$HELP/transform.py" spb "$TMP/dumpcap.pcapng" simple-packets.pcapng
# 10. gzip: a native pcapng, and one recording rotated into two pieces, each gzipped
gzip -9 -n -c "$TMP/dumpcap.pcapng" > gzip.pcapng.gz
# split in the middle of the third connection, so that one connection runs across both pieces
half=$(tshark -n -r "$TMP/ethernet.pcap" -Y 'tcp.stream == 2' -T fields -e frame.number 2>/dev/null |
  awk '{f[NR] = $1} END {print f[int((NR + 1) / 2)]}')
[[ -n $half ]] || die "ethernet.pcap has no third connection"
editcap -F pcap -c "$half" "$TMP/ethernet.pcap" "$TMP/rot.pcap"
pieces=("$TMP"/rot_*.pcap)
[[ ${#pieces[@]} == 2 ]] || die "editcap -c $half made ${#pieces[@]} pieces, expected 2"
gzip -9 -n -c "${pieces[0]}" > rotated-a.pcap.gz
gzip -9 -n -c "${pieces[1]}" > rotated-b.pcap.gz

# ------------------------------------------------------------------ self-checks (tshark)
echo "== checks" >&2
n=$(capinfos -c -M -T ethernet-vlan.pcap | awk -F'\t' 'NR==2 {print $2}')
[[ $(tcount ethernet-vlan.pcap 'eth.type == 0x8100 && vlan.id == 100') == "$n" ]] || die "ethernet-vlan: not every frame has the 802.1Q tag"
n=$(capinfos -c -M -T ethernet-qinq.pcap | awk -F'\t' 'NR==2 {print $2}')
[[ $(tcount ethernet-qinq.pcap 'eth.type == 0x88a8 && ieee8021ad.id == 200 && vlan.id == 100') == "$n" ]] || die "ethernet-qinq: not every frame is 802.1ad + 802.1Q"
capinfos nano.pcapng | grep -q "Time resolution = 0x09" || die "nano.pcapng: the IDB lacks if_tsresol 9"
(( $(tcount ipv6-ext.pcap 'ipv6.hopopts && ipv6.dstopts && tcp') > 0 )) || die "ipv6-ext: no hop-by-hop + destination options"
(( $(tcount ipv6-ext.pcap 'ipv6.dstopts && !ipv6.hopopts && tcp') > 0 )) || die "ipv6-ext: no destination-options-only packets"
(( $(tcount multi-section.pcapng 'frame') == $(tcount "$TMP/dumpcap.pcapng" 'frame') + $(tcount raw-ip.pcap 'frame') )) || die "multi-section: frame count"
for f in *.pcap *.pcapng; do
  (( $(tcount "$f" 'tcp.analysis.lost_segment || tcp.analysis.ack_lost_segment || tcp.analysis.retransmission') == 0 )) ||
    die "$f: tshark sees lost or retransmitted segments"
done
for f in *; do
  (( $(stat -c %s "$f") < 100000 )) || die "$f is not < 100 KB"
done

# ------------------------------------------------------------------ expected values
echo "== expected values (tshark)" >&2
expect ethernet-vlan "Captured: tcpdump on a veth whose frames carry an 802.1Q tag (VID 100; eBPF tagging, see README); 198.18.100.2 -> 198.18.100.1:443, 4 TLS connections (openssl s_client / curl to openssl s_server -www), plus tagged ARP." ethernet-vlan.pcap
expect ethernet-qinq "Captured: tcpdump on a veth whose frames carry an 802.1ad S-tag (VID 200) outside an 802.1Q C-tag (VID 100); 198.18.101.2 -> 198.18.101.1:443, 3 TLS connections, plus ARP." ethernet-qinq.pcap
expect linux-sll "Captured: tcpdump -i any -y LINUX_SLL (Linux cooked v1, link type 113) on loopback in a netns; 127.0.0.1 -> 127.0.0.2:443, 3 TLS connections." linux-sll.pcap
expect linux-sll2-nano "Captured: tcpdump -i any -y LINUX_SLL2 --time-stamp-precision nano (link type 276, nanosecond magic) on loopback in a netns; 127.0.0.1 -> 127.0.0.2:443, 4 TLS connections." linux-sll2-nano.pcap
expect raw-ip "Captured: tcpdump on a tun device (LINKTYPE_RAW 101), two netns joined by tunwire.py; 198.18.200.2 -> 198.18.200.1:443, 3 TLS connections, then [2001:2::2] -> [2001:2::1]:443, 1 TLS connection (IPv4 and IPv6 packets: the version nibble decides), plus whatever IPv6 control packets (router solicitations, MLD) the kernel sent on the tun link." raw-ip.pcap
expect null-loopback "Transformed from raw-ip.pcap (scripts/formats/transform.py null): link type 0 (DLT_NULL), 4-byte address family in the file's (little-endian host) byte order before each IP packet: AF_INET=2, AF_INET6=24 (the NetBSD/OpenBSD value)." null-loopback.pcap
expect loop "Transformed from raw-ip.pcap (scripts/formats/transform.py loop): link type 108 (DLT_LOOP), 4-byte address family in network byte order: AF_INET=2, AF_INET6=24." loop.pcap
expect ipv6-ext "Captured: tcpdump -i lo (Ethernet) in a netns; TLS over [::1]:443 by scripts/formats/tls6.py, whose sockets make the kernel add real extension headers: client packets IPv6 > Hop-by-Hop (PadN) > Destination Options (type 0x1e) > TCP, server packets IPv6 > Destination Options > TCP; 3 connections." ipv6-ext.pcap
expect big-endian "Transformed from ethernet-vlan.pcap (scripts/formats/transform.py swap): classic microsecond pcap written big-endian (magic a1b2c3d4 in big-endian order, all header and record fields big-endian); packets identical." big-endian.pcap
expect big-endian-nano "Transformed from linux-sll2-nano.pcap (scripts/formats/transform.py swap): classic nanosecond pcap written big-endian (magic a1b23c4d in big-endian order); packets identical." big-endian-nano.pcap
expect multi-interface "mergecap -F pcapng of ethernet-vlan.pcap (interface 0: Ethernet, us) and linux-sll2-nano.pcap (interface 1: SLL2, ns): one section, two interfaces of different link types and time stamp resolutions; the two recordings ran at the same time, so packets alternate between interfaces. timestampPrecision is ns because one interface is." multi-interface.pcapng
expect nano "editcap -F pcapng of linux-sll2-nano.pcap: the IDB has if_tsresol = 9 (nanoseconds)." nano.pcapng
expect multi-section "cat of two pcapng files = two sections, each numbering its interfaces from 0: section 1 is the dumpcap recording of gzip.pcapng.gz (Ethernet, if_tsresol 9 = ns, ends with an ISB), section 2 is editcap -F pcapng of raw-ip.pcap (raw IP, no if_tsresol = us). The recordings ran at the same time, so time goes back at the section boundary. timestampPrecision is ns because one interface is." multi-section.pcapng
expect simple-packets "Transformed (scripts/formats/transform.py spb) from the dumpcap pcapng recording of gzip.pcapng.gz: every Enhanced Packet Block rewritten as a Simple Packet Block (type 3: no interface id, no timestamp); SHB, IDB, ISB kept. SPBs carry no time stamps, so tshark reports none: firstTime/lastTime are null." simple-packets.pcapng
expect gzip "Captured: dumpcap -i lo in a netns (native pcapng: SHB, IDB with if_tsresol 9 = ns, EPBs, ISB), gzip-compressed; 127.0.0.1 -> 127.0.0.3:443, 3 TLS connections." gzip.pcapng.gz
expect rotated "One tcpdump recording on a plain Ethernet veth (198.18.102.2 -> 198.18.102.1:443, 5 TLS connections) split into two pieces with editcap -F pcap -c $half (inside connection C3, which so runs across both files) and each gzipped (as tcpdump -C/-G -z gzip leaves rotated files); counts are for both files together." rotated-a.pcap.gz rotated-b.pcap.gz

# ------------------------------------------------------------------ install
mkdir -p "$DEST"
find "$DEST" -maxdepth 1 -type f \( -name '*.pcap' -o -name '*.pcapng' -o -name '*.gz' -o -name '*.expected.json' \) -delete
cp "$OUT"/* "$DEST"/
echo "== wrote $(ls "$OUT" | wc -l) files to fixtures/formats" >&2
