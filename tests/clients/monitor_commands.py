"""Which Redis commands a client round trip sends: starts a real
redis-server on a free port, watches it with MONITOR while one of the
round-trip scripts of this folder runs against it, then prints three sets
of command names (subcommands joined, e.g. `script|load`):

  sent       commands the clients sent themselves
  lua ran    commands the server ran inside scripts (MONITOR's `[N lua]`)
  lua code   every redis.call/redis.pcall name in the source of the scripts
             that EVAL, SCRIPT LOAD or FUNCTION LOAD carried, branches
             not taken included

Not part of the suite: a developer's tool for checking which commands a
framework needs. Usage, from the checkout's root, after
scripts/ensure-clients.sh:

  target/clients-venv/bin/python tests/clients/monitor_commands.py bullmq.js
"""

import os
import re
import socket
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))

# Commands whose first argument is a subcommand (as COMMAND lists them).
CONTAINERS = {
    "acl", "client", "cluster", "command", "config", "debug", "function",
    "latency", "memory", "module", "object", "pubsub", "script", "slowlog",
    "xgroup", "xinfo",
}
# BullMQ's scripts call through `local rcall = redis.call`.
CALL = re.compile(r"""(?:\bredis\.p?call|\brcall)\(\s*['"]([A-Za-z_]+)['"]""")
ESCAPES = {"n": "\n", "r": "\r", "t": "\t", "a": "\a", "b": "\b", '"': '"', "\\": "\\"}


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def tokens(line):
    """The quoted arguments of one MONITOR line, unescaped (Redis prints
    them with sdscatrepr's escapes)."""
    out, i = [], line.find('"')
    while 0 <= i < len(line):
        i += 1
        arg = []
        while i < len(line) and line[i] != '"':
            if line[i] == "\\" and i + 1 < len(line):
                if line[i + 1] == "x":
                    arg.append(chr(int(line[i + 2:i + 4], 16)))
                    i += 4
                    continue
                arg.append(ESCAPES.get(line[i + 1], line[i + 1]))
                i += 2
                continue
            arg.append(line[i])
            i += 1
        out.append("".join(arg))
        i = line.find('"', i + 1)
    return out


def name(args):
    cmd = args[0].lower()
    if cmd in CONTAINERS and len(args) > 1:
        return f"{cmd}|{args[1].lower()}"
    return cmd


def runner(script, port):
    path = os.path.join(HERE, script)
    if script.endswith(".js"):
        env = dict(os.environ, NODE_PATH=os.path.join(ROOT, "target/clients-node/node_modules"))
        return ["node", path, str(port)], env
    if script.endswith(".rb"):
        return ["ruby", path, str(port)], os.environ
    return [sys.executable, path, str(port)], os.environ


def main():
    script = sys.argv[1]
    port = free_port()
    with tempfile.TemporaryDirectory() as work:
        server = subprocess.Popen(
            ["redis-server", "--port", str(port), "--save", "", "--dir", work],
            stdout=subprocess.DEVNULL)
        try:
            for _ in range(100):
                try:
                    monitor = socket.create_connection(("127.0.0.1", port))
                    break
                except OSError:
                    time.sleep(0.05)
            monitor.sendall(b"MONITOR\r\n")
            argv, env = runner(script, port)
            done = subprocess.run(argv, env=env, stdout=subprocess.DEVNULL)
            if done.returncode != 0:
                sys.exit(f"{script} exited {done.returncode}")
            monitor.settimeout(0.5)
            data = b""
            try:
                while chunk := monitor.recv(1 << 16):
                    data += chunk
            except socket.timeout:
                pass
        finally:
            server.terminate()
            server.wait()
    sent, lua_ran, lua_code = set(), set(), set()
    for line in data.decode("latin-1").split("\r\n"):
        if not line.startswith("+") or line == "+OK":
            continue
        args = tokens(line)
        if not args:
            continue
        (lua_ran if " lua]" in line else sent).add(name(args))
        cmd = args[0].lower()
        if cmd in ("eval", "eval_ro") or (cmd in ("script", "function") and args[1].lower() == "load"):
            body = args[1] if cmd.startswith("eval") else args[-1]
            lua_code.update(c.lower() for c in CALL.findall(body))
    for label, names in (("sent", sent), ("lua ran", lua_ran), ("lua code", lua_code)):
        print(f"{label} ({len(names)}): {' '.join(sorted(names))}")


if __name__ == "__main__":
    main()
