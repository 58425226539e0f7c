"""redis-py's ACL helpers and a client that logs in with a username and
password, as an application with its own Redis user does. Prints one line
per check; tests/clients.rs runs it against both servers and compares the
output. Redis lists single-command rules in a random order, so rules and
command lists are printed sorted."""

import sys

import redis

PORT = int(sys.argv[1])


def conn(**kw):
    return redis.Redis(host="127.0.0.1", port=PORT, socket_timeout=10, **kw)


def show(name, value):
    print(f"{name}: {value!r}", flush=True)


def sorted_user(info):
    return {k: sorted(v) if isinstance(v, list) else v for k, v in sorted(info.items())}


def error(call):
    try:
        return ("ok", call())
    except redis.RedisError as e:
        return (type(e).__name__, str(e))


def main():
    r = conn(decode_responses=True)
    r.acl_log_reset()
    show(
        "setuser",
        r.acl_setuser(
            "app",
            enabled=True,
            passwords=["+secret"],
            commands=["+get", "+set", "+acl|whoami", "+publish"],
            categories=["+@hash"],
            keys=["app:*"],
            channels=["app:*"],
        ),
    )
    show("getuser", sorted_user(r.acl_getuser("app")))
    show("getuser missing", r.acl_getuser("nosuch"))
    show("users", r.acl_users())
    show("list", sorted(" ".join(sorted(line.split(" "))) for line in r.acl_list()))
    show("whoami", r.acl_whoami())
    show("cat hash", sorted(r.acl_cat("hash")))
    show("genpass", len(r.acl_genpass()))
    show("dryrun", [r.acl_dryrun("app", "get", k) for k in ("app:1", "other")])

    # No CLIENT SETINFO at connect: Redis 7.0 does not know it.
    app = conn(
        username="app", password="secret", decode_responses=True, lib_name=None, lib_version=None
    )
    show("app whoami", app.acl_whoami())
    show("app set", app.set("app:1", "v"))
    show("app get", app.get("app:1"))
    show("app hset", app.hset("app:h", "f", "v"))
    show("app other key", error(lambda: app.get("other")))
    show("app other command", error(lambda: app.delete("app:1")))
    show("app publish", error(lambda: app.publish("news", "x")))
    p = app.pipeline()
    p.set("app:2", "x").get("other")
    show("app pipeline", error(lambda: p.execute()))

    bare = {"lib_name": None, "lib_version": None}
    show("wrong password", error(lambda: conn(username="app", password="bad", **bare).ping()))
    show("unknown user", error(lambda: conn(username="nobody", password="x", **bare).ping()))

    log = r.acl_log()
    show("log", [(e["count"], e["reason"], e["context"], e["object"], e["username"]) for e in log])
    show("log count", len(r.acl_log(count=2)))
    show("deluser", r.acl_deluser("app"))
    # The connection closes (whether redis-py sees a reset or reconnects
    # and fails AUTH depends on timing).
    kind, _ = error(lambda: app.get("app:1"))
    show("app after deluser", kind in ("ConnectionError", "AuthenticationError"))


if __name__ == "__main__":
    main()
