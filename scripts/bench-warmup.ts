// Warmup strategies side by side on the real example server (nginx + uWSGI lazy-apps + Flask)
// on loopback: (a) the source document's 15 threads x 5 sequential requests, (b) warmfleet's
// round-based warmup (the Lambda's own warmWorkers with its defaults for the worker count).
// Usage: npm run bench:warmup [-- modelLoadSeconds [firstInferenceSeconds [workerCounts]]]
//   e.g. npm run bench:warmup -- 2 0.3 8,16,32,64
import { loadConfig, warmupRequestOf } from "../lambdas/warmup/config";
import { systemClock } from "../lambdas/warmup/clock";
import { httpRequest } from "../lambdas/warmup/http";
import { warmWorkers } from "../lambdas/warmup/warmup";
import { ExampleServer, coldHitsInBurst, predict, startExampleServer } from "../testing/example-server";

const loadSeconds = Number(process.argv[2] ?? 2);
const firstInferenceSeconds = Number(process.argv[3] ?? 0.3);
const workerCounts = (process.argv[4] ?? "8,16,32,64").split(",").map(Number);
const ideal = loadSeconds + firstInferenceSeconds;

interface Outcome {
  readonly requests: number;
}

/** (a) The source document: 15 threads, each sending 5 requests one after another. */
async function seedStrategy(server: ExampleServer): Promise<Outcome> {
  await Promise.all(
    Array.from({ length: 15 }, async () => {
      for (let i = 0; i < 5; i++) await predict(server.port);
    }),
  );
  return { requests: 75 };
}

/** (b) warmfleet: the Lambda's strategy with the settings WarmupHook derives for this worker count. */
async function warmfleetStrategy(server: ExampleServer, workers: number): Promise<Outcome> {
  const config = loadConfig({ WARMUP_CONCURRENCY: String(2 * workers), WARMUP_BODY: '{"features":[0.5,0.25]}' }, __dirname);
  const report = await warmWorkers(
    httpRequest,
    systemClock,
    { host: "127.0.0.1", port: server.port },
    warmupRequestOf(config),
    config,
    Date.now() + 300_000,
  );
  if (report.status !== "warm") process.stderr.write(`warmfleet strategy ended ${report.status}: ${report.reason}\n`);
  return { requests: report.requests };
}

async function measure(name: string, workers: number, strategy: (server: ExampleServer) => Promise<Outcome>): Promise<string> {
  const server = await startExampleServer({ workers, modelLoadSeconds: loadSeconds, firstInferenceSeconds });
  try {
    const started = performance.now();
    const { requests } = await strategy(server);
    const seconds = (performance.now() - started) / 1000;
    const coldAfter = workers - server.loadedWorkers();
    const burst = await coldHitsInBurst(server.port, 2 * workers);
    return `| ${workers} | ${name} | ${seconds.toFixed(2)} s | ${requests} | ${coldAfter} | ${burst.cold} of ${2 * workers} | ${(seconds / ideal).toFixed(2)}x |`;
  } finally {
    await server.stop();
  }
}

async function main(): Promise<void> {
  const rows = [
    `model load ${loadSeconds} s, first inference +${firstInferenceSeconds} s, ideal = ${ideal.toFixed(1)} s (one load plus one inference)`,
    "",
    "| workers | strategy | wall time | requests | workers cold after | cold hits in next burst | wall / ideal |",
    "| ---: | --- | ---: | ---: | ---: | ---: | ---: |",
  ];
  for (const workers of workerCounts) {
    rows.push(await measure("(a) 15 threads x 5 requests", workers, seedStrategy));
    rows.push(await measure("(b) warmfleet rounds", workers, (server) => warmfleetStrategy(server, workers)));
    process.stderr.write(`${workers} workers done\n`);
  }
  process.stdout.write(`${rows.join("\n")}\n`);
}

main().catch((error: Error) => {
  process.stderr.write(`bench:warmup failed: ${error.message}\n`);
  process.exit(1);
});
