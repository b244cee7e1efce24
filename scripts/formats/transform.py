#!/usr/bin/env python3
"""Byte-level rewrites of real captures into capture-file variants Linux tools cannot write.

  transform.py null  IN.pcap OUT.pcap   raw-IP pcap (link type 101) -> DLT_NULL (0): each packet
                                        gets a 4-byte address family in the file's (= the writing
                                        host's) byte order, as BSD/macOS loopback captures have it
  transform.py loop  IN.pcap OUT.pcap   raw-IP pcap -> DLT_LOOP (108): the same family, network order
  transform.py swap  IN.pcap OUT.pcap   classic pcap -> the same file in the other byte order: magic,
                                        header and every record header rewritten (packet bytes kept)
  transform.py spb   IN.pcapng OUT.pcapng
                                        pcapng: every Enhanced Packet Block -> Simple Packet Block
                                        (type 3: no interface id, no timestamp, no options); all
                                        other blocks copied. Needs one interface per section and
                                        untruncated packets (an SPB has no captured-length field).

Only the python standard library is used. Every transform checks its input and fails loudly.
"""
import struct
import sys

MAGIC_US, MAGIC_NS = 0xA1B2C3D4, 0xA1B23C4D
LINKTYPE_NULL, LINKTYPE_RAW, LINKTYPE_LOOP = 0, 101, 108
AF_INET = 2
AF_INET6 = 24  # NetBSD/OpenBSD value (FreeBSD uses 28, Darwin 30); wscap and tshark accept all three


def die(msg):
    sys.exit(f"transform.py: {msg}")


def read_pcap(path):
    data = open(path, "rb").read()
    if len(data) < 24:
        die(f"{path}: too short for a pcap header")
    for e in "<>":
        magic = struct.unpack(e + "I", data[:4])[0]
        if magic in (MAGIC_US, MAGIC_NS):
            break
    else:
        die(f"{path}: not a classic pcap file")
    hdr = struct.unpack(e + "IHHiIII", data[:24])
    recs = []
    off = 24
    while off < len(data):
        if off + 16 > len(data):
            die(f"{path}: truncated record header at {off}")
        ts, frac, caplen, origlen = struct.unpack(e + "IIII", data[off:off + 16])
        pkt = data[off + 16:off + 16 + caplen]
        if len(pkt) != caplen:
            die(f"{path}: truncated packet at {off}")
        recs.append([ts, frac, caplen, origlen, pkt])
        off += 16 + caplen
    return e, list(hdr), recs


def write_pcap(path, e, hdr, recs):
    with open(path, "wb") as f:
        f.write(struct.pack(e + "IHHiIII", *hdr))
        for ts, frac, caplen, origlen, pkt in recs:
            f.write(struct.pack(e + "IIII", ts, frac, caplen, origlen))
            f.write(pkt)


def to_null(src, dst, network_order):
    e, hdr, recs = read_pcap(src)
    if hdr[6] & 0x0FFFFFFF != LINKTYPE_RAW:
        die(f"{src}: link type {hdr[6]}, expected {LINKTYPE_RAW} (raw IP)")
    fam_order = ">" if network_order else e
    for r in recs:
        version = r[4][0] >> 4 if r[4] else 0
        if version not in (4, 6):
            die(f"{src}: packet with IP version {version}")
        r[4] = struct.pack(fam_order + "I", AF_INET if version == 4 else AF_INET6) + r[4]
        r[2] += 4
        r[3] += 4
    hdr[5] += 4  # snaplen
    hdr[6] = LINKTYPE_LOOP if network_order else LINKTYPE_NULL
    write_pcap(dst, e, hdr, recs)


def swap(src, dst):
    e, hdr, recs = read_pcap(src)
    write_pcap(dst, ">" if e == "<" else "<", hdr, recs)


# ------------------------------------------------------------------ pcapng
def to_spb(src, dst):
    data = open(src, "rb").read()
    out = bytearray()
    off = 0
    e = "<"
    n_if = 0
    n_spb = 0
    while off < len(data):
        if off + 12 > len(data):
            die(f"{src}: truncated block at {off}")
        if data[off:off + 4] == b"\x0a\x0d\x0d\x0a":
            bom = data[off + 8:off + 12]
            e = "<" if bom == b"\x4d\x3c\x2b\x1a" else ">" if bom == b"\x1a\x2b\x3c\x4d" else die("bad BOM")
            n_if = 0
        btype, blen = struct.unpack(e + "II", data[off:off + 8])
        block = data[off:off + blen]
        if blen < 12 or len(block) != blen or struct.unpack(e + "I", block[-4:])[0] != blen:
            die(f"{src}: bad block at {off}")
        if btype == 1:
            n_if += 1
        if btype == 6:
            iface, _hi, _lo, caplen, origlen = struct.unpack(e + "IIIII", block[8:28])
            if n_if != 1 or iface != 0:
                die(f"{src}: SPBs need exactly one interface per section (have {n_if}, packet on {iface})")
            if caplen != origlen:
                die(f"{src}: packet at {off} is truncated ({caplen} of {origlen} bytes); an SPB cannot say so")
            pkt = block[28:28 + caplen]
            pad = (-caplen) % 4
            spb_len = 16 + caplen + pad
            out += struct.pack(e + "III", 3, spb_len, origlen) + pkt + b"\0" * pad + struct.pack(e + "I", spb_len)
            n_spb += 1
        else:
            out += block
        off += blen
    if n_spb == 0:
        die(f"{src}: no enhanced packet blocks")
    open(dst, "wb").write(out)


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    cmd, src, dst = sys.argv[1:]
    if cmd == "null":
        to_null(src, dst, network_order=False)
    elif cmd == "loop":
        to_null(src, dst, network_order=True)
    elif cmd == "swap":
        swap(src, dst)
    elif cmd == "spb":
        to_spb(src, dst)
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
