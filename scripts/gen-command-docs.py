#!/usr/bin/env python3
"""Writes src/commands/docs_data.rs: the `history` and `arguments` that real
Redis 7.0 gives in `COMMAND DOCS`, for every command in ferrodis's table.

These are interface facts, so they are captured once from a real server
instead of being typed into the command table by hand. The script starts a
throwaway redis-server on a Unix socket (no TCP port), asks it `COMMAND DOCS`
in RESP3 and keeps the commands whose full names appear in
src/commands/table.rs. The output is sorted by name and formatted with
rustfmt, so rerunning it against the same Redis changes nothing.

Usage: python3 scripts/gen-command-docs.py [path/to/redis-server]
Rerun it after adding a command to the table.
"""

import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TABLE = os.path.join(ROOT, "src", "commands", "table.rs")
OUT = os.path.join(ROOT, "src", "commands", "docs_data.rs")
WANT_VERSION = "7.0."

# The fields of an argument, in the order Redis replies them; anything else
# in the reply is a field docs.rs cannot express yet, so the script stops.
ARG_FIELDS = [
    "name",
    "type",
    "key_spec_index",
    "token",
    "since",
    "deprecated_since",
    "flags",
    "arguments",
]


class Simple(str):
    """A RESP simple string, kept apart from bulk strings."""


def read(f):
    line = f.readline()
    if not line.endswith(b"\r\n"):
        raise RuntimeError("connection closed")
    kind, rest = line[:1], line[1:-2]
    if kind == b"+":
        return Simple(rest.decode())
    if kind == b"-":
        raise RuntimeError(rest.decode())
    if kind == b":":
        return int(rest)
    if kind == b"$":
        data = f.read(int(rest) + 2)
        return data[:-2].decode()
    if kind in (b"*", b"~"):
        return [read(f) for _ in range(int(rest))]
    if kind == b"%":
        return [(read(f), read(f)) for _ in range(int(rest))]
    raise RuntimeError("unexpected reply %r" % line)


def call(f, *args):
    out = b"*%d\r\n" % len(args)
    for a in args:
        a = a.encode()
        out += b"$%d\r\n%s\r\n" % (len(a), a)
    f.write(out)
    f.flush()
    return read(f)


def table_names():
    with open(TABLE) as t:
        names = re.findall(r'^\s*name: "([^"]+)",$', t.read(), re.M)
    return sorted(set(names))


def rust_str(s):
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def arg_lines(fields, ind):
    """One argument as rustfmt lays out a struct literal: a field a line."""
    keys = [k for k, _ in fields]
    if [k for k in ARG_FIELDS if k in keys] != keys:
        raise RuntimeError("unexpected argument fields %r" % keys)
    f = dict(fields)
    pad = " " * (ind + 4)
    out = [" " * ind + "Arg {"]
    out.append(pad + "name: %s," % rust_str(f["name"]))
    out.append(pad + "kind: %s," % rust_str(f["type"]))
    if "key_spec_index" in f:
        out.append(pad + "key_spec_index: Some(%d)," % f["key_spec_index"])
    for k in ("token", "since", "deprecated_since"):
        if k in f:
            out.append(pad + "%s: Some(%s)," % (k, rust_str(f[k])))
    if "flags" in f:
        flags = ", ".join(rust_str(x) for x in f["flags"])
        out.append(pad + "flags: &[%s]," % flags)
    if "arguments" in f:
        out += list_lines("args", f["arguments"], ind + 4)
    out.append(pad + "..ARG")
    out.append(" " * ind + "},")
    return out


def list_lines(field, args, ind):
    pad = " " * ind
    if not args:
        return [pad + "%s: &[]," % field]
    out = [pad + "%s: &[" % field]
    for a in args:
        out += arg_lines(a, ind + 4)
    out.append(pad + "],")
    return out


def history_lines(history):
    if not history:
        return ["        history: &[],"]
    out = ["        history: &["]
    for since, change in history:
        line = "            (%s, %s)," % (rust_str(since), rust_str(change))
        if len(line) <= 100:
            out.append(line)
        else:
            out += ["            (", "                %s," % rust_str(since)]
            out += ["                %s," % rust_str(change), "            ),"]
    out.append("        ],")
    return out


def collect(docs, found):
    # Subcommands come back under their full `container|sub` names.
    for name, fields in docs:
        f = dict(fields)
        found[name] = (f.get("history", []), f.get("arguments", []))
        collect(f.get("subcommands", []), found)


def main():
    server = sys.argv[1] if len(sys.argv) > 1 else shutil.which("redis-server")
    if not server:
        sys.exit("redis-server not found; pass its path")
    tmp = tempfile.mkdtemp()
    sock = os.path.join(tmp, "redis.sock")
    proc = subprocess.Popen(
        [server, "--port", "0", "--unixsocket", sock, "--save", "", "--dir", tmp],
        stdout=subprocess.DEVNULL,
    )
    try:
        for _ in range(100):
            if os.path.exists(sock):
                break
            time.sleep(0.05)
        s = socket.socket(socket.AF_UNIX)
        s.connect(sock)
        f = s.makefile("rwb")
        hello = dict(call(f, "HELLO", "3"))
        if not hello["version"].startswith(WANT_VERSION):
            sys.exit("need Redis %sx, found %s" % (WANT_VERSION, hello["version"]))
        found = {}
        collect(call(f, "COMMAND", "DOCS"), found)
    finally:
        proc.terminate()
        proc.wait()
        shutil.rmtree(tmp, ignore_errors=True)

    # Commands newer than this Redis (ferrodis has a few 7.2 ones) get an
    # empty entry: no history or arguments, the same as before they had data.
    missing = [n for n in table_names() if n not in found]
    if missing:
        print("warning: Redis has no docs for %s" % ", ".join(missing), file=sys.stderr)
    out = [
        "//! Generated by `python3 scripts/gen-command-docs.py` from Redis %s's"
        % hello["version"],
        "//! `COMMAND DOCS`: the history and arguments of every command in the table.",
        "//! Do not edit; rerun the script (it starts its own redis-server) after",
        "//! adding commands to `table.rs`.",
        "",
        "use super::docs::{Arg, Doc, ARG};",
        "",
        "/// Sorted by full name (`container|sub` for subcommands).",
        "pub static DOCS: &[Doc] = &[",
    ]
    for name in table_names():
        if name not in found:
            out.append("    // Not in Redis %s." % hello["version"])
        history, args = found.get(name, ([], []))
        out.append("    Doc {")
        out.append("        name: %s," % rust_str(name))
        out += history_lines(history)
        out += list_lines("args", args, 8)
        out.append("    },")
    out.append("];")
    with open(OUT, "w") as o:
        o.write("\n".join(out) + "\n")
    subprocess.run(["rustfmt", "--edition", "2021", OUT], check=True)
    print("wrote %s (%d commands)" % (os.path.relpath(OUT, ROOT), len(table_names())))


if __name__ == "__main__":
    main()
