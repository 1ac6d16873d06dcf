// graphile-worker's side of the PostgreSQL benchmark (benches/src/bin/postgres.rs runs it; see
// that file for what is measured). It does what the Rust child processes do and answers the same
// way: one `key value` line per figure on stdout, or `error <message>`; its own logs go to stderr.
//
//   node bench.mjs throughput URL single|bulk JOBS WARMUP CONCURRENCY POOL PRODUCERS BATCH
//   node bench.mjs latency URL CONCURRENCY POOL RATE SECONDS WARM_SECONDS

import { Logger, makeWorkerUtils, run } from "graphile-worker";
import { performance } from "node:perf_hooks";

const logger = new Logger(() => (level, message) => {
  if (level === "error" || level === "warning") {
    process.stderr.write(`graphile-worker ${level}: ${message}\n`);
  }
});

const fields = [];
const put = (key, value) => fields.push(`${key} ${value}`);

// What every job body records, as in work.rs: first runs by sequence number, runs beyond the
// first, jobs of the round left, and enqueue-to-start waits of the recorded jobs.
let seen = new Uint8Array(0);
let duplicates = 0;
let remaining = 0;
let onFinished = () => {};
let recordFrom = Infinity;
const waits = [];

function complete(payload) {
  const startedMs = performance.now();
  const { s, t } = payload;
  if (seen[s]) {
    duplicates += 1;
    return;
  }
  seen[s] = 1;
  if (s >= recordFrom) waits.push((startedMs - t) * 1e6);
  remaining -= 1;
  if (remaining === 0) onFinished();
}

function round(jobs) {
  remaining = jobs;
  return new Promise((resolve) => {
    onFinished = resolve;
  });
}

async function start(url, concurrency, pool) {
  const runner = await run({
    connectionString: url,
    concurrency,
    maxPoolSize: pool,
    noHandleSignals: true,
    logger,
    taskList: { work: async (payload) => complete(payload) },
  });
  const utils = await makeWorkerUtils({ connectionString: url, logger });
  return { runner, utils };
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// Enqueues seqs [from, to) through `producers` concurrent loops, one addJob each, or in batches of
// `batch` through addJobs from one loop.
async function enqueue(utils, mode, from, to, producers, batch) {
  if (mode === "bulk") {
    for (let s = from; s < to; s += batch) {
      const specs = [];
      for (let k = s; k < Math.min(to, s + batch); k++) {
        specs.push({ identifier: "work", payload: { s: k, t: 0 } });
      }
      await utils.addJobs(specs);
    }
    return;
  }
  const jobs = to - from;
  await Promise.all(
    Array.from({ length: producers }, async (_, p) => {
      const a = from + Math.floor((jobs * p) / producers);
      const b = from + Math.floor((jobs * (p + 1)) / producers);
      for (let s = a; s < b; s++) {
        await utils.addJob("work", { s, t: 0 });
      }
    }),
  );
}

async function throughput([url, mode, jobsArg, warmupArg, concurrency, pool, producers, batch]) {
  const jobs = Number(jobsArg);
  const warmup = Number(warmupArg);
  seen = new Uint8Array(warmup + jobs);
  const { runner, utils } = await start(url, Number(concurrency), Number(pool));
  const warm = round(warmup);
  await enqueue(utils, mode, 0, warmup, Number(producers), Number(batch));
  await warm;

  const cpuBefore = process.cpuUsage();
  const started = process.hrtime.bigint();
  const done = round(jobs);
  await enqueue(utils, mode, warmup, warmup + jobs, Number(producers), Number(batch));
  const enqueued = process.hrtime.bigint();
  await done;
  const elapsed = process.hrtime.bigint() - started;
  const cpu = process.cpuUsage(cpuBefore);

  await sleep(200);
  put("jobs", jobs);
  put("elapsed_ns", elapsed);
  put("enqueue_ns", enqueued - started);
  put("cpu_ns", (cpu.user + cpu.system) * 1000);
  put("duplicates", duplicates);
  await utils.release();
  await runner.stop();
}

async function latency([url, concurrency, pool, rateArg, secondsArg, warmArg]) {
  const rate = Number(rateArg);
  const warm = Math.round(rate * Number(warmArg));
  const total = warm + Math.round(rate * Number(secondsArg));
  seen = new Uint8Array(total);
  recordFrom = warm;
  const { runner, utils } = await start(url, Number(concurrency), Number(pool));
  const done = round(total);
  const periodMs = 1000 / rate;
  const began = performance.now();
  const pending = [];
  for (let s = 0; s < total; s++) {
    const due = began + s * periodMs;
    const wait = due - performance.now();
    if (wait > 0) await sleep(wait);
    // Each enqueue is a request of its own: the next one does not wait for it.
    pending.push(utils.addJob("work", { s, t: performance.now() }));
  }
  await Promise.all(pending);
  const achieved = (total * 1000) / (performance.now() - began);
  const timeout = sleep(20000).then(() => "timeout");
  if ((await Promise.race([done, timeout])) === "timeout") {
    throw new Error(`${remaining} of ${total} jobs had not started 20 s after the last enqueue`);
  }
  await sleep(200);
  waits.sort((a, b) => a - b);
  const at = (permille) =>
    Math.round(waits[Math.max(1, Math.ceil((waits.length * permille) / 1000)) - 1] ?? 0);
  put("samples", waits.length);
  put("p50_ns", at(500));
  put("p99_ns", at(990));
  put("max_ns", at(1000));
  put("rate", achieved.toFixed(1));
  put("duplicates", duplicates);
  await utils.release();
  await runner.stop();
}

const [measurement, ...args] = process.argv.slice(2);
try {
  if (measurement === "throughput") await throughput(args);
  else if (measurement === "latency") await latency(args);
  else throw new Error(`unknown measurement \`${measurement}\``);
  const cpu = process.cpuUsage();
  // Clock ticks of 10 ms, the unit of the parent's /proc figures.
  put("cpu_ticks", Math.round((cpu.user + cpu.system) / 10000));
  process.stdout.write(fields.map((line) => `${line}\n`).join(""));
  process.exit(0);
} catch (error) {
  process.stdout.write(`error graphile-worker: ${String(error?.message ?? error).replace(/\n/g, " ")}\n`);
  process.exit(0);
}
