#!/usr/bin/env python3
"""Compare wscap's JSON report on each fixtures/formats capture with its NAME.expected.json.

  npx tsc -p tsconfig.json && python3 scripts/formats/check_wscap.py [NAME ...]

Checks format, linkTypes, timestampPrecision, packets, tcpPackets, first/last packet time (to the
microsecond wscap reports) and, per connection in order, client, server, packets and bytes in
each direction. Prints one line per disagreement; exit status 1 if there is any.
"""
import datetime
import glob
import json
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FIX = os.path.join(ROOT, "fixtures", "formats")


def iso_to_epoch(s):
    if s is None:
        return None
    d = datetime.datetime.fromisoformat(s.replace("Z", "+00:00"))
    return d.timestamp()


def ep(e):
    ip = e["ip"]
    return f"[{ip}]:{e['port']}" if ":" in ip else f"{ip}:{e['port']}"


def check(name):
    exp = json.load(open(os.path.join(FIX, f"{name}.expected.json")))
    files = [os.path.join(FIX, f) for f in exp["files"]]
    res = subprocess.run(["node", os.path.join(ROOT, "dist/cli/bin.js"), "analyze", *files, "--format", "json"],
                         capture_output=True, text=True)
    if res.returncode != 0:
        return [f"{name}: wscap exit {res.returncode}: {res.stderr.strip()[:300]}"], None
    rep = json.loads(res.stdout)
    cap = rep["capture"]
    bad = []

    def cmp(field, want, got):
        if want != got:
            bad.append(f"{name}: {field}: expected {want!r}, got {got!r}")

    fmts = {f["format"] for f in cap["files"]}
    cmp("format", exp["format"], fmts.pop() if len(fmts) == 1 else sorted(fmts))
    links = []
    for f in cap["files"]:
        links += [l for l in f["linkTypes"] if l not in links]
    cmp("linkTypes", exp["linkTypes"], links)
    precs = {f["timestampPrecision"] for f in cap["files"]}
    cmp("timestampPrecision", exp["timestampPrecision"], "ns" if "ns" in precs else "us")
    cmp("packets", exp["packets"], cap["packets"])
    cmp("filePackets", exp["filePackets"], [f["packets"] for f in cap["files"]])
    cmp("tcpPackets", exp["tcpPackets"], cap["tcpPackets"])
    for key, iso in (("firstTime", "start"), ("lastTime", "end")):
        want, got = exp[key], iso_to_epoch(cap[iso])
        if want is None:
            bad.append(f"{name}: {key}: tshark has no time stamp (SPBs), wscap says {cap[iso]!r} (note only)")
        elif got is None or abs(int(want * 1e6) / 1e6 - got) > 1.5e-6:
            if key == "lastTime" and abs(int(exp["maxTime"] * 1e6) / 1e6 - got) <= 1.5e-6:
                bad.append(f"{name}: lastTime: the last frame is at {exp['lastTimeText']}, wscap's capture.end "
                           f"{cap[iso]!r} is the latest time (maxTime {exp['maxTimeText']}) (note)")
            else:
                bad.append(f"{name}: {key} ({iso}): expected {exp[key + 'Text']}, got {cap[iso]!r}")
    conns = rep["connections"]
    cmp("connections", len(exp["connections"]), len(conns))
    for want, got in zip(exp["connections"], conns):
        g = {
            "id": got["id"], "client": ep(got["client"]), "server": ep(got["server"]),
            "c2sPackets": got["client2server"]["packets"], "c2sBytes": got["client2server"]["bytes"],
            "s2cPackets": got["server2client"]["packets"], "s2cBytes": got["server2client"]["bytes"],
        }
        for k, v in want.items():
            if g[k] != v:
                bad.append(f"{name}: {want['id']}.{k}: expected {v!r}, got {g[k]!r}")
    for w in cap["warnings"]:
        bad.append(f"{name}: wscap warning {w['code']}: {w['message']} (note)")
    return bad, rep


def main():
    names = sys.argv[1:] or sorted(os.path.basename(p)[:-len(".expected.json")]
                                   for p in glob.glob(os.path.join(FIX, "*.expected.json")))
    failures = 0
    for name in names:
        bad, _ = check(name)
        real = [b for b in bad if not b.endswith("(note only)") and not b.endswith("(note)")]
        failures += bool(real)
        print(f"{'FAIL' if real else 'ok  '} {name}")
        for b in bad:
            print(f"     {b}")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
