import { hostname } from "node:os";
import { ExampleServer, ExampleServerOptions, Readiness, predict, startExampleServer } from "../../../testing/example-server";

// The example server on loopback with MODEL_LOAD=start, as production runs it: every worker
// loads its model when it starts, and /ready says 200 only once all of them have it.
const WORKERS = 4;
const TIMEOUT_MS = 60_000;

async function withServer(options: Partial<ExampleServerOptions>, body: (server: ExampleServer) => Promise<void>): Promise<void> {
  const server = await startExampleServer({ workers: WORKERS, modelLoadSeconds: 2, modelLoad: "start", ...options });
  try {
    await body(server);
  } finally {
    await server.stop();
  }
}

/** Polls /ready until it answers 200; returns every answer seen, the 200 last. */
async function readinessUntilReady(server: ExampleServer): Promise<Readiness[]> {
  const seen: Readiness[] = [];
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    const answer = await server.readiness();
    seen.push(answer);
    if (answer.status === 200) return seen;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`never ready: ${JSON.stringify(seen.at(-1))}`);
}

/** The first /ready answer that matches, within 10 s (the master reaps and replaces the worker meanwhile). */
async function readinessAfter(server: ExampleServer, matches: (answer: Readiness) => boolean): Promise<Readiness> {
  const deadline = Date.now() + 10_000;
  let answer = await server.readiness();
  while (!matches(answer) && Date.now() < deadline) answer = await server.readiness();
  return answer;
}

function expectGatedOnEveryWorker(seen: readonly Readiness[]): void {
  expect(seen[0]).toMatchObject({ status: 503, retryAfter: expect.stringMatching(/^[1-9][0-9]*$/), workersExpected: WORKERS });
  for (const answer of seen.slice(0, -1)) {
    expect(answer.status).toBe(503);
    expect(answer.workersLoaded).toBeLessThan(WORKERS);
  }
  expect(seen.at(-1)).toMatchObject({ status: 200, workersLoaded: WORKERS, workersExpected: WORKERS });
}

describe("readiness of the example server", () => {
  test(
    "GIVEN nginx + uWSGI with 4 workers loading at start WHEN /ready is polled THEN 503 with Retry-After until every worker has its model, then 200; a replaced worker takes it back to 503 until it has loaded",
    async () => {
      await withServer({}, async (server) => {
        expectGatedOnEveryWorker(await readinessUntilReady(server));
        expect(server.loadedWorkers()).toBe(WORKERS);

        const answer = await predict(server.port);
        expect(answer.workerId).toBe(`${hostname()}-${answer.worker_pid}`);
        process.kill(answer.worker_pid, "SIGKILL");
        const afterKill = await readinessAfter(server, (a) => a.status !== 200);
        expect(afterKill).toMatchObject({ status: 503, retryAfter: expect.stringMatching(/^[1-9][0-9]*$/) });
        expect(afterKill.workersLoaded).toBeLessThan(WORKERS);
        expect((await readinessUntilReady(server)).at(-1)).toMatchObject({ status: 200, workersLoaded: WORKERS });
        expect(server.loadedWorkers()).toBe(WORKERS + 1);
      });
    },
    TIMEOUT_MS,
  );

  test(
    "GIVEN gunicorn gthread with 4 workers, the worker header off WHEN /ready is polled THEN the same gating, and /predict answers 503 with Retry-After while models load",
    async () => {
      await withServer({ server: "gunicorn", workerIdHeader: "" }, async (server) => {
        const early = await predict(server.port).catch((error: Error) => error);
        expect(early).toEqual(new Error("HTTP 503"));
        expectGatedOnEveryWorker(await readinessUntilReady(server));
        const answers = await Promise.all(Array.from({ length: 8 }, () => predict(server.port)));
        for (const answer of answers) expect(answer.workerId).toBeUndefined();
        expect(server.loadedWorkers()).toBe(WORKERS);
      });
    },
    TIMEOUT_MS,
  );
});
