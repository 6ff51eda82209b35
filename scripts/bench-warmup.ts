// Warmup strategies side by side on the real example server on loopback (nginx + uWSGI lazy-apps +
// Flask, or threaded gunicorn), models loading on the first request: (a) the source document's 15
// threads x 5 sequential requests, (b) warmfleet's round-based warmup (the Lambda's own warmWorkers
// with its defaults for the worker count, worker header on).
// Usage: npm run bench:warmup [-- modelLoadSeconds [firstInferenceSeconds [workerCounts [servers]]]]
//   e.g. npm run bench:warmup -- 2 0.3 8,16,32,64 uwsgi,gunicorn
import { loadConfig, warmupPolicyFor, warmupRequestOf } from "../lambdas/warmup/config";
import { systemClock } from "../lambdas/warmup/clock";
import { httpRequest } from "../lambdas/warmup/http";
import { warmWorkers } from "../lambdas/warmup/warmup";
import { ExampleServer, ExampleServerKind, coldHitsInBurst, predict, startExampleServer } from "../testing/example-server";

const loadSeconds = Number(process.argv[2] ?? 2);
const firstInferenceSeconds = Number(process.argv[3] ?? 0.3);
const workerCounts = (process.argv[4] ?? "8,16,32,64").split(",").map(Number);
const servers = (process.argv[5] ?? "uwsgi,gunicorn").split(",") as ExampleServerKind[];
const ideal = loadSeconds + firstInferenceSeconds;

interface Outcome {
  readonly requests: number;
  /** What the strategy itself could tell about coverage. */
  readonly seen: string;
}

/** (a) The source document: 15 threads, each sending 5 requests one after another. */
async function seedStrategy(server: ExampleServer): Promise<Outcome> {
  await Promise.all(
    Array.from({ length: 15 }, async () => {
      for (let i = 0; i < 5; i++) await predict(server.port);
    }),
  );
  return { requests: 75, seen: "nothing (no check)" };
}

/** (b) warmfleet: the Lambda's strategy with the defaults it derives for this worker count. */
async function warmfleetStrategy(server: ExampleServer, workers: number): Promise<Outcome> {
  const config = loadConfig({ WARMUP_BODY: '{"features":[0.5,0.25]}' }, __dirname);
  const report = await warmWorkers(
    httpRequest,
    systemClock,
    { host: "127.0.0.1", port: server.port },
    warmupRequestOf(config),
    warmupPolicyFor(config, workers),
    Date.now() + 300_000,
  );
  const { coverage } = report;
  return { requests: report.requests, seen: `${report.status}, ${coverage.workersSeen ?? "?"} / ${coverage.workersExpected} answered, ${report.rounds} rounds` };
}

async function measure(kind: ExampleServerKind, name: string, workers: number, strategy: (server: ExampleServer) => Promise<Outcome>): Promise<string> {
  const server = await startExampleServer({ server: kind, workers, modelLoadSeconds: loadSeconds, firstInferenceSeconds });
  try {
    const started = performance.now();
    const { requests, seen } = await strategy(server);
    const seconds = (performance.now() - started) / 1000;
    const warmed = server.loadedWorkers();
    const burst = await coldHitsInBurst(server.port, 2 * workers);
    return `| ${kind} | ${workers} | ${name} | ${seconds.toFixed(2)} s | ${warmed} / ${workers} | ${seen} | ${requests} | ${burst.cold} of ${2 * workers} | ${(seconds / ideal).toFixed(2)}x |`;
  } finally {
    await server.stop();
  }
}

async function main(): Promise<void> {
  // Rows go out as they are measured, so a server that fails to start keeps the earlier ones.
  const print = (line: string) => process.stdout.write(`${line}\n`);
  print(`model load ${loadSeconds} s, first inference +${firstInferenceSeconds} s, ideal = ${ideal.toFixed(1)} s (one load plus one inference)`);
  print("");
  print("| server | workers | strategy | wall time | coverage (workers warmed / expected) | the strategy saw | requests | cold hits in next burst | wall / ideal |");
  print("| --- | ---: | --- | ---: | ---: | --- | ---: | ---: | ---: |");
  for (const kind of servers) {
    for (const workers of workerCounts) {
      print(await measure(kind, "(a) 15 threads x 5 requests", workers, seedStrategy));
      print(await measure(kind, "(b) warmfleet rounds", workers, (server) => warmfleetStrategy(server, workers)));
    }
  }
}

main().catch((error: Error) => {
  process.stderr.write(`bench:warmup failed: ${error.message}\n`);
  process.exit(1);
});
