#!/usr/bin/env python3
"""A point-to-point IP link between two network namespaces made of two tun devices.

Why: Linux has no capture interface that yields LINKTYPE_RAW (101) without a tunnel, and this
kernel has neither ipip/sit/gre nor wireguard. A tun device does: its frames are bare IP packets
(ARPHRD_NONE, libpcap writes link type 101). This process creates tun device NAME in namespace
NS_A and another in NS_B (setns(2) through ctypes, python stdlib only) and copies every IP packet
one device sends to the other, unchanged: the two kernels talk real TCP/TLS over it and tcpdump
on either device records a real raw-IP capture.

  python3 tunwire.py NS_A NS_B NAME     # runs until killed; the devices vanish with the process

Prints "ready" on stdout once both devices exist (then configure addresses with `ip -n NS ...`).
"""
import ctypes
import fcntl
import os
import select
import signal
import struct
import sys

CLONE_NEWNET = 0x40000000
TUNSETIFF = 0x400454CA
IFF_TUN, IFF_NO_PI = 0x0001, 0x1000

libc = ctypes.CDLL(None, use_errno=True)


def enter(ns):
    fd = os.open(f"/run/netns/{ns}", os.O_RDONLY)
    try:
        if libc.setns(fd, CLONE_NEWNET) != 0:
            e = ctypes.get_errno()
            raise OSError(e, f"setns({ns}): {os.strerror(e)}")
    finally:
        os.close(fd)


def open_tun(name):
    fd = os.open("/dev/net/tun", os.O_RDWR)
    fcntl.ioctl(fd, TUNSETIFF, struct.pack("16sH", name.encode(), IFF_TUN | IFF_NO_PI))
    return fd


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    ns_a, ns_b, name = sys.argv[1:]
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    enter(ns_a)
    fa = open_tun(name)
    enter(ns_b)
    fb = open_tun(name)
    print("ready", flush=True)
    peer = {fa: fb, fb: fa}
    while True:
        for fd in select.select([fa, fb], [], [])[0]:
            pkt = os.read(fd, 65536)
            try:
                os.write(peer[fd], pkt)
            except OSError:
                pass  # peer device down: the packet is lost, as on a wire


if __name__ == "__main__":
    main()
