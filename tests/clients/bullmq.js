// BullMQ's round trip: Queue.add, a Worker processing jobs and returning
// values, a delayed job, a job that fails once and is retried, one that
// fails for good, QueueEvents waiting on a job, counts and states at the end,
// and a clean close. Prints one line per check; tests/clients.rs runs it
// against both servers and compares the output.
"use strict";
const { Queue, Worker, QueueEvents } = require("bullmq");
const Redis = require("ioredis");

const port = Number(process.argv[2]);
// Workers and QueueEvents block (BZPOPMIN, XREAD BLOCK): BullMQ requires
// maxRetriesPerRequest null on their connections.
const connection = { host: "127.0.0.1", port, maxRetriesPerRequest: null };
const show = (name, value) => console.log(`${name}: ${JSON.stringify(value)}`);

function processor(job) {
  switch (job.name) {
    case "add":
      return job.data.a + job.data.b;
    case "flaky":
      if (job.attemptsMade === 0) throw new Error("first attempt fails on purpose");
      return `done after ${job.attemptsMade} failed attempt(s)`;
    case "doomed":
      throw new Error("this job always fails");
    default:
      return job.name;
  }
}

async function main() {
  const plain = new Redis(connection);
  await plain.flushall();
  plain.disconnect();

  const queue = new Queue("jobs", { connection });
  await queue.waitUntilReady();

  const events = new QueueEvents("jobs", { connection });
  await events.waitUntilReady();

  // Settled jobs by id, so the output does not depend on arrival order.
  const settled = new Map();
  let allSettled;
  const everything = new Promise((resolve) => { allSettled = resolve; });
  const expect = 5;
  const settle = (job, outcome) => {
    settled.set(job.id, outcome);
    if (settled.size === expect) allSettled();
  };

  const worker = new Worker("jobs", processor, { connection, concurrency: 1, autorun: false });
  worker.on("completed", (job, value) => settle(job, ["completed", value]));
  worker.on("failed", (job, err) => {
    if (job.attemptsMade >= job.opts.attempts) settle(job, ["failed", err.message]);
  });

  const retry = { attempts: 2, backoff: { type: "fixed", delay: 20 } };
  const first = await queue.add("add", { a: 2, b: 3 });
  await queue.add("add", { a: 40, b: 2 });
  await queue.add("delayed", {}, { delay: 50 });
  await queue.add("flaky", {}, retry);
  await queue.add("doomed", {}, retry);
  show("counts before the worker", await queue.getJobCounts("wait", "delayed", "active", "completed", "failed"));

  worker.run();
  show("first job via QueueEvents", await first.waitUntilFinished(events, 10000));
  const timeout = new Promise((_, reject) => setTimeout(() => reject(new Error("jobs did not settle in 15 s")), 15000));
  await Promise.race([everything, timeout]);

  for (const id of [...settled.keys()].sort((a, b) => Number(a) - Number(b))) {
    const job = await queue.getJob(id);
    show(`job ${id} ${job.name}`, {
      outcome: settled.get(id),
      state: await job.getState(),
      attemptsMade: job.attemptsMade,
      returnvalue: job.returnvalue,
      failedReason: job.failedReason || null,
    });
  }
  show("counts after", await queue.getJobCounts("wait", "delayed", "active", "completed", "failed"));
  show("completed ids", (await queue.getCompleted()).map((j) => j.id).sort());
  show("failed ids", (await queue.getFailed()).map((j) => j.id));

  await worker.close();
  await events.close();
  await queue.close();
  show("closed", true);
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
