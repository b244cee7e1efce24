#!/usr/bin/env python3
"""Write NAME.expected.json for a capture-format fixture: the oracle wscap's reader is tested against.

Independent of src/: python3 stdlib + tshark/mergecap.
  * format, link types and timestamp precision come from the file headers, read here
    (all pcapng sections and Interface Description Blocks are walked),
  * every count and time comes from one `tshark -T fields` pass:
      packets     = frames tshark reads; filePackets = the same per file, in "files" order
      tcpPackets  = frames with a tcp.stream
      firstTime / lastTime = frame.time_epoch of the first / last frame (null when the file has
                    no timestamps, e.g. simple packet blocks); maxTime = the latest frame.time_epoch
                    (differs from lastTime only when time goes back, e.g. multi-section.pcapng);
                    *Text = tshark's exact string (floats cannot hold nanoseconds)
      connections = tshark tcp.streams, numbered C1, C2 ... by first frame; client = sender of the
                    SYN without ACK (else the side not on port 443); packets = frames per
                    direction, bytes = sum of tcp.len per direction.
Several --files are one capture: they are merged with mergecap first (rotated pieces).

  expected.py --dir DIR --name NAME --files F1 [F2...] --description TEXT
"""
from decimal import Decimal
import argparse
import gzip
import json
import os
import struct
import subprocess
import sys
import tempfile

SYN, ACK, FIN, RST = 0x02, 0x10, 0x01, 0x04


def die(msg):
    sys.exit(f"expected.py: {msg}")


def read_data(path):
    with open(path, "rb") as f:
        data = f.read()
    return gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data


def resol_name(v):
    if v & 0x80:
        return f"2^-{v & 0x7F}"
    return {6: "us", 9: "ns"}.get(v, f"1e-{v}")


def read_headers(path):
    """(format, [link types in order of appearance], [precision per interface])"""
    data = read_data(path)
    pcap = {b"\xd4\xc3\xb2\xa1": ("<", "us"), b"\xa1\xb2\xc3\xd4": (">", "us"),
            b"\x4d\x3c\xb2\xa1": ("<", "ns"), b"\xa1\xb2\x3c\x4d": (">", "ns")}
    if data[:4] in pcap:
        e, prec = pcap[data[:4]]
        return "pcap", [struct.unpack(e + "I", data[20:24])[0] & 0x0FFFFFFF], [prec]
    if data[:4] != b"\x0a\x0d\x0d\x0a":
        die(f"{path}: unknown capture format")
    links, precs = [], []
    off, e = 0, "<"
    while off + 12 <= len(data):
        if data[off:off + 4] == b"\x0a\x0d\x0d\x0a":
            e = "<" if data[off + 8:off + 12] == b"\x4d\x3c\x2b\x1a" else ">"
        btype, blen = struct.unpack(e + "II", data[off:off + 8])
        if blen < 12:
            die(f"{path}: bad block length at {off}")
        if btype == 1:
            link = struct.unpack(e + "H", data[off + 8:off + 10])[0]
            prec = "us"
            o, end = off + 16, off + blen - 4
            while o + 4 <= end:
                code, olen = struct.unpack(e + "HH", data[o:o + 4])
                if code == 0:
                    break
                if code == 9 and olen >= 1:
                    prec = resol_name(data[o + 4])
                o += 4 + ((olen + 3) & ~3)
            links.append(link)
            precs.append(prec)
        off += blen
    return "pcapng", links, precs


FIELDS = ["frame.number", "frame.time_epoch", "tcp.stream", "ip.src", "ipv6.src", "ip.dst",
          "ipv6.dst", "tcp.srcport", "tcp.dstport", "tcp.len", "tcp.flags"]


def tshark(path):
    cmd = ["tshark", "-n", "-r", path, "-T", "fields", "-E", "separator=\t", "-E", "occurrence=f"]
    for f in FIELDS:
        cmd += ["-e", f]
    res = subprocess.run(cmd, capture_output=True, text=True)
    if res.returncode != 0:
        die(f"tshark failed on {path}: {res.stderr.strip()}")
    pkts = []
    for line in res.stdout.splitlines():
        v = dict(zip(FIELDS, line.split("\t")))
        p = {"frame": int(v["frame.number"]), "time": v.get("frame.time_epoch", ""),
             "tcp": v.get("tcp.stream", "") != ""}
        if p["tcp"]:
            p.update(stream=int(v["tcp.stream"]), src=v["ip.src"] or v["ipv6.src"],
                     dst=v["ip.dst"] or v["ipv6.dst"], sport=int(v["tcp.srcport"]),
                     dport=int(v["tcp.dstport"]), len=int(v["tcp.len"] or 0),
                     flags=int(v["tcp.flags"], 16))
        pkts.append(p)
    return pkts


def endpoint(addr, port):
    return f"[{addr}]:{port}" if ":" in addr else f"{addr}:{port}"


def client_of(sp):
    for p in sp:
        if p["flags"] & SYN and not p["flags"] & ACK:
            return (p["src"], p["sport"])
    p = sp[0]
    if p["sport"] == 443 and p["dport"] != 443:
        return (p["dst"], p["dport"])
    return (p["src"], p["sport"])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dir", required=True)
    ap.add_argument("--name", required=True)
    ap.add_argument("--files", nargs="+", required=True)
    ap.add_argument("--description", required=True)
    a = ap.parse_args()

    paths = [os.path.join(a.dir, f) for f in a.files]
    fmts, links, precs = set(), [], []
    for p in paths:
        fmt, ls, ps = read_headers(p)
        fmts.add(fmt)
        links += [l for l in ls if l not in links]
        precs += ps
    if len(fmts) != 1:
        die(f"files mix formats {fmts}")
    fmt = fmts.pop()
    odd = [p for p in precs if p not in ("us", "ns")]
    if odd:
        die(f"timestamp resolution {odd} is neither us nor ns")
    # a capture is "ns" when any of its interfaces has nanosecond (or finer) time stamps
    prec = "ns" if "ns" in precs else "us"

    file_packets = [len(tshark(p)) for p in paths] if len(paths) > 1 else None
    with tempfile.TemporaryDirectory() as tmp:
        src = paths[0]
        if len(paths) > 1:
            src = os.path.join(tmp, "merged")
            subprocess.run(["mergecap", "-F", "pcap" if fmt == "pcap" else "pcapng", "-w", src] + paths,
                           check=True)
        pkts = tshark(src)
    if not pkts:
        die(f"{a.name}: tshark read no packets")

    tcp = [p for p in pkts if p["tcp"]]
    streams = {}
    for p in tcp:
        streams.setdefault(p["stream"], []).append(p)
    conns, unclean = [], []
    for sp in sorted(streams.values(), key=lambda s: s[0]["frame"]):
        client = client_of(sp)
        c2s = [p for p in sp if (p["src"], p["sport"]) == client]
        s2c = [p for p in sp if (p["src"], p["sport"]) != client]
        server = (s2c[0]["src"], s2c[0]["sport"]) if s2c else (c2s[0]["dst"], c2s[0]["dport"])
        cid = f"C{len(conns) + 1}"
        conns.append({
            "id": cid,
            "client": endpoint(*client),
            "server": endpoint(*server),
            "c2sPackets": len(c2s),
            "c2sBytes": sum(p["len"] for p in c2s),
            "s2cPackets": len(s2c),
            "s2cBytes": sum(p["len"] for p in s2c),
        })
        fins = {(p["src"], p["sport"]) == client for p in sp if p["flags"] & FIN}
        if fins != {True, False} or any(p["flags"] & RST for p in sp) or not any(
                p["flags"] & SYN and not p["flags"] & ACK for p in sp):
            unclean.append(cid)

    times = [p["time"] for p in pkts if p["time"]]
    out = {
        "files": a.files,
        "description": a.description,
        "format": fmt,
        "linkTypes": links,
        "timestampPrecision": prec,
        "packets": len(pkts),
        "filePackets": file_packets or [len(pkts)],
        "tcpPackets": len(tcp),
        "firstTime": float(times[0]) if times else None,
        "lastTime": float(times[-1]) if times else None,
        "firstTimeText": times[0] if times else None,
        "lastTimeText": times[-1] if times else None,
        "maxTime": float(max(times, key=float)) if times else None,
        "maxTimeText": max(times, key=float) if times else None,
        "connections": conns,
    }
    codes = []
    if len(times) < len(pkts):
        # Packets without a timestamp (simple packet blocks): wscap must say so, not invent times.
        codes.append("no-timestamps")
    # A packet earlier than the latest before it (concatenated sections, a reordered file).
    latest = None
    for t in times:
        v = Decimal(t)
        if latest is not None and v < latest - Decimal('0.01'):  # wscap's tolerance: 10 ms
            codes.append("time-backwards")
            break
        latest = v if latest is None or v > latest else latest
    if codes:
        out["warningCodes"] = codes
    with open(os.path.join(a.dir, f"{a.name}.expected.json"), "w") as f:
        json.dump(out, f, indent=2)
        f.write("\n")
    print(f"  {a.name:<22} {fmt:<6} link={','.join(map(str, links)):<6} {prec} packets={len(pkts):<4} "
          f"tcp={len(tcp):<4} conns={len(conns)}" + (f"  NOT CLEAN: {unclean}" if unclean else ""),
          file=sys.stderr)
    if unclean:
        die(f"{a.name}: connection(s) {unclean} lack a SYN, a FIN from each side, or have a RST")


if __name__ == "__main__":
    main()
