// ioredis's scripting as applications use it: defineCommand (EVALSHA with
// EVAL fallback after SCRIPT FLUSH), in pipelines and multi(), script
// errors, and eval/evalsha directly. Prints one line per check;
// tests/clients.rs runs it against both servers and compares the output.
const Redis = require("ioredis");

const port = Number(process.argv[2]);
const show = (name, value) => console.log(`${name}: ${JSON.stringify(value)}`);

async function main() {
  const r = new Redis({ port, host: "127.0.0.1", lazyConnect: true, maxRetriesPerRequest: 1 });
  await r.connect();
  await r.flushall();
  await r.script("FLUSH");
  r.defineCommand("incrByScript", {
    numberOfKeys: 1,
    lua: "return redis.call('INCRBY', KEYS[1], ARGV[1])",
  });
  r.defineCommand("echoAll", {
    lua: "return {KEYS[1], KEYS[2], ARGV[1]}",
  });
  show("first", await r.incrByScript("c", 5));
  show("second", await r.incrByScript("c", 2));
  await r.script("FLUSH");
  show("after flush", await r.incrByScript("c", 1));
  show("dynamic keys", await r.echoAll(2, "k1", "k2", "a1"));
  show("pipeline", await r.pipeline().incrByScript("c", 1).incrByScript("c", 1).exec());
  show("multi", await r.multi().incrByScript("c", 1).get("c").exec());
  await r.set("text", "abc");
  try {
    await r.incrByScript("text", 1);
  } catch (e) {
    show("script error", e.message);
  }
  const sha = await r.script("LOAD", "return ARGV[1]");
  show("evalsha", await r.evalsha(sha, 0, "hello"));
  show("eval", await r.eval("return redis.status_reply('fine')", 0));
  try {
    await r.evalsha("0".repeat(40), 0);
  } catch (e) {
    show("noscript", e.message);
  }
  r.disconnect();
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
