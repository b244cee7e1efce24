#!/usr/bin/env python3
"""TLS over IPv6 whose packets carry real IPv6 extension headers (python stdlib only).

Linux puts "sticky" extension headers set with setsockopt(IPPROTO_IPV6, ...) into every packet a
TCP socket sends (RFC 3542 section 6; root needed). So the kernel itself builds:

  client -> server:  IPv6 | Hop-by-Hop Options (PadN) | Destination Options (0x1e "wscp") | TCP
  server -> client:  IPv6 | Destination Options (0x1e "wscp") | TCP

(0x1e is the RFC 4727 experimental option type; its two high bits 00 tell receivers to skip it.)
Packets the kernel answers on behalf of no socket (e.g. a TIME-WAIT ACK or a RST) carry none.

  tls6.py server ADDR PORT CERT KEY COUNT    # serve COUNT connections, then exit
  tls6.py client ADDR PORT SNI [PATH]        # one HTTPS/1.0 GET, read to the end, close cleanly

Each connection ends with close_notify both ways and then a FIN from each side (no RST).
"""
import socket
import ssl
import sys

HOPOPTS = bytes([0, 0, 1, 4, 0, 0, 0, 0])                 # Hop-by-Hop: PadN(4)
DSTOPTS = bytes([0, 0, 0x1E, 4]) + b"wscp"                # Destination Options: type 0x1e, 4 bytes
BODY = ("<html><body><pre>\n" + "".join(
    f"{i:04d} wscap IPv6 extension header fixture: fstream.binance.com /market/stream\n"
    for i in range(40)) + "</pre></body></html>\n").encode()


def serve(addr, port, cert, key, count):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    ls = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_DSTOPTS, DSTOPTS)
    ls.bind((addr, port))
    ls.listen(8)
    ls.settimeout(30)
    print("ready", flush=True)
    for _ in range(count):
        raw, _peer = ls.accept()
        raw.settimeout(10)
        with ctx.wrap_socket(raw, server_side=True) as s:
            req = b""
            while b"\r\n\r\n" not in req:
                chunk = s.recv(4096)
                if not chunk:
                    break
                req += chunk
            head = (f"HTTP/1.0 200 ok\r\nContent-Type: text/html\r\n"
                    f"Content-Length: {len(BODY)}\r\n\r\n").encode()
            s.sendall(head + BODY)
            s.unwrap()  # send close_notify, wait for the client's
    ls.close()


def client(addr, port, sni, path="/"):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    raw = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
    raw.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_HOPOPTS, HOPOPTS)
    raw.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_DSTOPTS, DSTOPTS)
    raw.settimeout(10)
    raw.connect((addr, port))
    s = ctx.wrap_socket(raw, server_hostname=sni)
    s.sendall(f"GET {path} HTTP/1.0\r\nHost: {sni}\r\n\r\n".encode())
    got = b""
    while True:
        chunk = s.recv(65536)
        if not chunk:  # the server's close_notify
            break
        got += chunk
    s.unwrap()  # our close_notify
    s.close()
    if not got.startswith(b"HTTP/1.0 200"):
        sys.exit(f"tls6 client: unexpected response {got[:40]!r}")


def main():
    a = sys.argv[1:]
    if a[:1] == ["server"] and len(a) == 6:
        serve(a[1], int(a[2]), a[3], a[4], int(a[5]))
    elif a[:1] == ["client"] and len(a) in (4, 5):
        client(a[1], int(a[2]), a[3], *a[4:])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
