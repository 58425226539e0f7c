// ioredis doing what applications do: multi() transactions (queued
// errors, runtime errors, WATCH), pipelines, subscribe/psubscribe with
// message events. Prints one line per check; tests/clients.rs runs it
// against both servers and compares the output.
"use strict";
const Redis = require("ioredis");

const port = Number(process.argv[2]);
const connect = () => new Redis({ port, host: "127.0.0.1", lazyConnect: false, maxRetriesPerRequest: 1 });
const show = (name, value) => console.log(`${name}: ${JSON.stringify(value)}`);
const errText = (e) => (e ? String(e.message) : null);

async function transactions(r) {
  await r.flushall();
  show("multi", await r.multi().set("a", "1").incr("a").lpush("l", "x", "y").sadd("s", "m").exec());
  const mixed = await r.multi().set("str", "x").incr("str").get("str").exec();
  show("runtime error kept in place", mixed.map(([e, v]) => [errText(e), v]));
  try {
    await r.multi().set("k", "v").call("NOSUCHCOMMAND").exec();
    show("queued error", "no error");
  } catch (e) {
    show("queued error", errText(e));
  }
  show("not applied", await r.exists("k"));
  const other = connect();
  await r.watch("a");
  await other.incr("a");
  show("watch broken", await r.multi().set("a", "100").exec());
  await r.watch("a");
  show("watch kept", await r.multi().incr("a").exec());
  other.disconnect();
  show("pipeline", await r.pipeline().get("a").llen("l").smembers("s").exec());
}

function collect(sub, n) {
  return new Promise((resolve) => {
    const got = [];
    const done = () => got.length === n && resolve(got);
    sub.on("message", (channel, message) => { got.push(["message", channel, message]); done(); });
    sub.on("pmessage", (pattern, channel, message) => { got.push(["pmessage", pattern, channel, message]); done(); });
  });
}

async function pubsub(r) {
  const sub = connect();
  show("subscribe", await sub.subscribe("news", "sport"));
  show("psubscribe", await sub.psubscribe("n*"));
  const messages = collect(sub, 3);
  show("publish news", await r.publish("news", "hello"));
  show("publish sport", await r.publish("sport", "goal"));
  const got = await messages;
  got.sort();
  show("messages", got);
  show("numsub", await r.pubsub("NUMSUB", "news", "sport"));
  show("unsubscribe", await sub.unsubscribe("news", "sport"));
  show("punsubscribe", await sub.punsubscribe("n*"));
  show("ping after", await sub.ping());
  sub.disconnect();
}

(async () => {
  const r = connect();
  try {
    await transactions(r);
    await pubsub(r);
  } finally {
    r.disconnect();
  }
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
