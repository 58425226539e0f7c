#!/usr/bin/env python3
"""Record what real redis-server answers for each case of a Lua library corpus.

Usage: scripts/lualibs-expect.py [--port PORT] src/scripting/libs/cases/<lib>.lua...

Without --port it starts its own redis-server (7.0, from PATH) on a free
local port and stops it at the end. Each line of a corpus (blank lines and
lines starting with `--` skipped) is the body of a Lua function: it runs
under pcall inside one EVAL on a fresh interpreter (SCRIPT FLUSH), and the
status and every returned value come back as one printable line (the same
serializer the unit tests use, src/scripting/libs/cases/wrap.lua). The
corpus is rewritten next to itself as `<lib>.expected`: the case line, then
`=> ` and real Redis's line. The unit tests beside each library and
tests/scripting_libs.rs replay those pairs.
"""
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

WRAP = Path(__file__).resolve().parent.parent / "src/scripting/libs/cases/wrap.lua"


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
        return f.read(n + 2)[:-2].decode("latin-1")
    raise SystemExit("unexpected reply %r" % line)


def record(port, corpus, wrap):
    out = []
    for line in corpus.read_text().splitlines():
        if not line.strip() or line.startswith("--"):
            continue
        with socket.create_connection(("127.0.0.1", port)) as sock:
            # A fresh interpreter per case: library settings must not leak.
            command(sock, "SCRIPT", "FLUSH")
            reply = command(sock, "EVAL", wrap.replace("CASE", line, 1), "0")
        out.append(line)
        out.append("=> " + str(reply))
    corpus.with_suffix(".expected").write_text("\n".join(out) + "\n")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main():
    args = sys.argv[1:]
    port = None
    if args[:1] == ["--port"]:
        port, args = int(args[1]), args[2:]
    if not args:
        raise SystemExit(__doc__)
    wrap = WRAP.read_text().strip()
    server = None
    if port is None:
        port = free_port()
        server = subprocess.Popen(
            ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", tempfile.mkdtemp()],
            stdout=subprocess.DEVNULL)
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port)).close()
                break
            except OSError:
                time.sleep(0.05)
    try:
        for corpus in map(Path, args):
            if corpus.resolve() != WRAP:
                record(port, corpus, wrap)
    finally:
        if server:
            server.terminate()
            server.wait()


main()
