#!/usr/bin/env python3
"""Record what real redis-server answers for each case of a Lua library corpus.

Usage: scripts/lualibs-expect.py PORT src/scripting/libs/cases/<lib>.lua

Each line of the corpus (blank lines and lines starting with `--` skipped)
is the body of a Lua function: it runs under pcall inside one EVAL on a fresh interpreter (SCRIPT FLUSH), and the
status and every returned value come back as one printable line (the same
serializer the unit tests use, src/scripting/libs/cases/wrap.lua). The
corpus is rewritten next to itself as `<lib>.expected`: the case line, then
`=> ` and real Redis's line. The unit tests beside each library and
tests/scripting_libs.rs replay those pairs.
"""
import socket
import sys
from pathlib import Path


def command(sock, *args):
    out = b"*%d\r\n" % len(args)
    for a in args:
        a = a.encode() if isinstance(a, str) else a
        out += b"$%d\r\n%s\r\n" % (len(a), a)
    sock.sendall(out)
    return read_reply(sock.makefile("rb"))


def read_reply(f):
    line = f.readline().rstrip(b"\r\n")
    kind, rest = line[:1], line[1:]
    if kind in (b"+", b"-", b":"):
        return (kind + rest).decode("latin-1")
    if kind == b"$":
        n = int(rest)
        if n < 0:
            return None
        data = f.read(n + 2)[:-2]
        return data.decode("latin-1")
    raise SystemExit("unexpected reply %r" % line)


def main():
    port, corpus = int(sys.argv[1]), Path(sys.argv[2])
    wrap = (Path(__file__).resolve().parent.parent / "src/scripting/libs/cases/wrap.lua").read_text().strip()
    out = []
    for line in corpus.read_text().splitlines():
        if not line.strip() or line.startswith("--"):
            continue
        sock = socket.create_connection(("127.0.0.1", port))
        # A fresh interpreter per case: library settings must not leak.
        command(sock, "SCRIPT", "FLUSH")
        reply = command(sock, "EVAL", wrap.replace("CASE", line, 1), "0")
        sock.close()
        out.append(line)
        out.append("=> " + str(reply))
    corpus.with_suffix(".expected").write_text("\n".join(out) + "\n")


main()
