#!/usr/bin/env python3
"""Tag / untag every frame of one network device with 802.1Q (and 802.1ad) VLAN tags in the kernel.

Why: the kernel this project is built on has no 8021q module (`ip link add ... type vlan` fails
with "Unknown device type") and no tc vlan action. It does have eBPF and tcx (kernel >= 6.6), so
this helper loads two tiny eBPF programs with the bpf(2) syscall (python stdlib ctypes only) and
attaches them to a device:

  egress:  bpf_skb_vlan_push() for each tag, innermost first   (= what a VLAN subinterface does)
  ingress: bpf_skb_vlan_pop() as many times                    (= the VLAN subinterface receiving)

The kernel then transmits real tagged frames on the link; tcpdump on the device sees the tags
(libpcap rebuilds them from the packet's VLAN metadata, exactly as with a NIC doing VLAN offload
or a real `type vlan` subinterface on a veth).

The programs stay attached (BPF_PROG_ATTACH, no link fd to keep) until the device is deleted.
Run it inside the network namespace of the device:

  ip netns exec NS python3 vlantag.py DEV 8021q:100              # one 802.1Q tag, VID 100
  ip netns exec NS python3 vlantag.py DEV 8021ad:200 8021q:300   # QinQ: outer S-tag 200, inner C-tag 300
"""
import ctypes
import os
import socket
import struct
import sys

SYS_BPF = {"x86_64": 321, "aarch64": 280}[os.uname().machine]
BPF_PROG_LOAD, BPF_PROG_ATTACH = 5, 8
BPF_PROG_TYPE_SCHED_CLS = 3
BPF_TCX_INGRESS, BPF_TCX_EGRESS = 46, 47
FUNC_SKB_VLAN_PUSH, FUNC_SKB_VLAN_POP = 18, 19
TPID = {"8021q": 0x8100, "8021ad": 0x88A8}

libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long


def insn(code, dst=0, src=0, off=0, imm=0):
    return struct.pack("<BBhi", code, (src << 4) | dst, off, imm)


def mov64_reg(dst, src):
    return insn(0xBF, dst, src)          # BPF_ALU64 | BPF_MOV | BPF_X


def mov64_imm(dst, imm):
    return insn(0xB7, dst, imm=imm)      # BPF_ALU64 | BPF_MOV | BPF_K


def call(func):
    return insn(0x85, imm=func)          # BPF_JMP | BPF_CALL


def exit_():
    return insn(0x95)                    # BPF_JMP | BPF_EXIT


def bpf(cmd, attr):
    buf = ctypes.create_string_buffer(attr, len(attr))
    r = libc.syscall(SYS_BPF, cmd, buf, len(attr))
    if r < 0:
        e = ctypes.get_errno()
        raise OSError(e, f"bpf(cmd={cmd}): {os.strerror(e)}")
    return r


def load(code, name):
    log = ctypes.create_string_buffer(65536)
    lic = ctypes.create_string_buffer(b"GPL")
    insns = ctypes.create_string_buffer(code, len(code))
    attr = struct.pack("<IIQQIIQII16sII",
                       BPF_PROG_TYPE_SCHED_CLS, len(code) // 8,
                       ctypes.addressof(insns), ctypes.addressof(lic),
                       1, len(log), ctypes.addressof(log), 0, 0,
                       name.encode()[:15], 0, 0)
    try:
        return bpf(BPF_PROG_LOAD, attr)
    except OSError:
        sys.stderr.write(log.value.decode(errors="replace"))
        raise


def attach(ifindex, prog_fd, attach_type):
    attr = struct.pack("<IIIIIIQ", ifindex, prog_fd, attach_type, 0, 0, 0, 0)
    bpf(BPF_PROG_ATTACH, attr)


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    dev = sys.argv[1]
    tags = []  # outermost first, as given
    for spec in sys.argv[2:]:
        kind, vid = spec.split(":")
        tags.append((TPID[kind], int(vid)))
    ifindex = socket.if_nametoindex(dev)

    push = mov64_reg(6, 1)
    for tpid, vid in reversed(tags):  # innermost first: each push moves the previous tag inward
        push += mov64_reg(1, 6) + mov64_imm(2, socket.htons(tpid)) + mov64_imm(3, vid) + call(FUNC_SKB_VLAN_PUSH)
    push += mov64_imm(0, 0) + exit_()    # TCX_PASS

    pop = mov64_reg(6, 1)
    for _ in tags:
        pop += mov64_reg(1, 6) + call(FUNC_SKB_VLAN_POP)
    pop += mov64_imm(0, 0) + exit_()

    attach(ifindex, load(push, "vlan_push"), BPF_TCX_EGRESS)
    attach(ifindex, load(pop, "vlan_pop"), BPF_TCX_INGRESS)
    print(f"vlantag: {dev}: egress push / ingress pop " +
          " ".join(f"{hex(t)}:{v}" for t, v in tags), file=sys.stderr)


if __name__ == "__main__":
    main()
