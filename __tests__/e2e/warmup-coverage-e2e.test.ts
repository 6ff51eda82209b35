import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { LoopbackAws, startLoopbackAws } from "../../testing/loopback-aws";
import { invokeBundle } from "../../testing/invoke-bundle";
import { stopChild, trackChild } from "../../testing/child-process";
import { ExampleServer, coldHitsInBurst, freePort, portOpen, startExampleServer, waitFor } from "../../testing/example-server";
import { lifecycleEvent } from "../lambdas/warmup/fakes";

// The built warmup bundle against servers it must not be fooled by, on loopback: threaded gunicorn
// (fresh connections do not reach fresh workers), and an nginx that answers /health itself while
// uWSGI behind it is still starting. Each server starts once; both files of the e2e tier run them
// with the default settings WarmupHook writes, plus the worker count (loopback EC2 reports no CPUs).
const TOKEN = "c613620e-07e2-4ed2-a9e2-ef8258911ade";
const E2E_TIMEOUT_MS = 90_000;
// gunicorn gives its workers up to graceful_timeout to finish.
const STOP_TIMEOUT_MS = 30_000;

interface Warmed {
  readonly outcome?: string;
  readonly reason?: string;
  readonly warmup?: { readonly coverage?: { readonly mode: string; readonly workersSeen?: number; readonly workersExpected: number }; readonly notReadyMs?: number };
}

let aws: LoopbackAws;
beforeAll(async () => {
  aws = await startLoopbackAws();
});
afterAll(() => aws.close());

let launches = 0;

/** Runs the bundle for a new instance each time, so no run can complete another's action. */
async function warm(port: number, workers: number, env: Record<string, string> = {}): Promise<{ run: Warmed; result: string | undefined }> {
  launches += 1;
  const instanceId = `i-${launches.toString(16).padStart(17, "0")}`;
  aws.instances.set(instanceId, { instanceId, privateIpAddress: "127.0.0.1" });
  aws.lifecycle.set(instanceId, { lifecycleState: "Pending:Wait", activeToken: TOKEN });
  const invocation = await invokeBundle({
    event: lifecycleEvent({ Origin: "WarmPool", Destination: "AutoScalingGroup", EC2InstanceId: instanceId }),
    awsEndpoint: aws.url,
    env: { WARMUP_PORT: String(port), WARMUP_WORKERS: String(workers), WARMUP_AUTO_SCALING_GROUP_NAME: "fleet", WARMUP_REQUEST_TIMEOUT_SECONDS: "30", ...env },
    remainingMs: 80_000,
  });
  const completion = aws.calls.find((c) => c.action === "CompleteLifecycleAction" && c.params.InstanceId === instanceId);
  return { run: (invocation.result ?? { reason: invocation.stderr }) as Warmed, result: completion?.params.LifecycleActionResult };
}

describe.each([16, 32])("threaded gunicorn (gthread, 4 threads) with %i workers loading on first request", (workers) => {
  let server: ExampleServer;
  beforeAll(async () => {
    server = await startExampleServer({ server: "gunicorn", workers, modelLoadSeconds: 1, firstInferenceSeconds: 0.2 });
  }, E2E_TIMEOUT_MS);
  afterAll(() => server?.stop(), STOP_TIMEOUT_MS);

  if (workers === 16) {
    // First, while every worker is still cold: what latency alone concludes.
    test(
      "GIVEN a function that cannot see the worker header WHEN it warms THEN it reports incomplete with unverified coverage, never warm",
      async () => {
        const { run, result } = await warm(server.port, workers, { WARMUP_WORKER_ID_HEADER: "X-Upstream-Worker" });
        expect(run).toMatchObject({ outcome: "incomplete", warmup: { coverage: { mode: "latency-only", workersExpected: workers } } });
        expect(run.reason).toMatch(/unverified \(no response carried the x-upstream-worker header\)/);
        expect(result).toBe("CONTINUE");
      },
      E2E_TIMEOUT_MS,
    );
  }

  test(
    "GIVEN the worker header WHEN the bundle warms THEN every worker has answered and loaded its model",
    async () => {
      // Five times the default budget: on a 2-core CI runner the test runner and 16-32 gunicorn
      // workers compete for CPU, and a worker that is not scheduled accepts nothing however wide
      // the round. The default budget is README's measured choice; this test is about coverage.
      const { run, result } = await warm(server.port, workers, { WARMUP_MAX_REQUESTS: String(5 * 50 * 2 * workers) });
      expect(run).toMatchObject({ outcome: "warmed", warmup: { coverage: { mode: "worker-header", workersSeen: workers, workersExpected: workers } } });
      expect(result).toBe("CONTINUE");
      expect(server.loadedWorkers()).toBe(workers);
      expect((await coldHitsInBurst(server.port, 2 * workers)).cold).toBe(0);
    },
    E2E_TIMEOUT_MS,
  );
});

describe("nginx answering /health itself in front of nginx + uWSGI that starts late and loads its models at start", () => {
  // Few workers: this case is about start-up errors; coverage at 16 and 32 is tested above and in warmup-e2e.
  const workers = 4;
  let server: ExampleServer;
  let proxy: HealthAnsweringProxy;
  beforeAll(async () => {
    // uWSGI starts 3 s after nginx: /predict gives 502 until then, and 503 with Retry-After while models load.
    server = await startExampleServer({ workers, modelLoadSeconds: 1, modelLoad: "start", healthDelayMs: 3_000 });
    proxy = await startHealthAnsweringProxy(server.port);
  }, E2E_TIMEOUT_MS);
  afterAll(async () => {
    await proxy?.stop();
    await server?.stop();
  }, STOP_TIMEOUT_MS);

  test(
    "GIVEN /health is 200 from the start WHEN the bundle warms THEN 502s and 503s are waited out, every worker answers, and the instance continues",
    async () => {
      const { run, result } = await warm(proxy.port, workers);
      expect(run).toMatchObject({ outcome: "warmed", warmup: { coverage: { mode: "worker-header", workersSeen: workers, workersExpected: workers } } });
      expect(run.warmup?.notReadyMs).toBeGreaterThan(0);
      expect(result).toBe("CONTINUE");
      expect(server.loadedWorkers()).toBe(workers);
    },
    E2E_TIMEOUT_MS,
  );
});

interface HealthAnsweringProxy {
  readonly port: number;
  stop(): Promise<void>;
}

/** nginx that answers /health with 200 itself and proxies everything else: its health says nothing about the app. */
async function startHealthAnsweringProxy(upstreamPort: number): Promise<HealthAnsweringProxy> {
  const dir = mkdtempSync(join(tmpdir(), "warmfleet-proxy-"));
  const port = await freePort();
  writeFileSync(
    join(dir, "nginx.conf"),
    [
      "worker_processes 1;",
      `pid ${dir}/nginx.pid;`,
      "daemon off;",
      ...(process.getuid?.() === 0 ? ["user root;"] : []),
      "events { worker_connections 1024; }",
      "http {",
      "  access_log off;",
      ...["client_body", "proxy", "fastcgi", "uwsgi", "scgi"].map((t) => `  ${t}_temp_path ${dir}/${t}_temp;`),
      `  server { listen 127.0.0.1:${port}; location = /health { return 200 "ok\\n"; } location / { proxy_pass http://127.0.0.1:${upstreamPort}; } }`,
      "}",
      "",
    ].join("\n"),
  );
  const nginx = trackChild(spawn("nginx", ["-e", join(dir, "error.log"), "-p", dir, "-c", join(dir, "nginx.conf")], { stdio: "ignore" }));
  const stop = async () => {
    await stopChild(nginx, { signal: "SIGQUIT", killAfterMs: 5_000 });
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitFor(() => portOpen(port), 10_000, `the health-answering nginx on 127.0.0.1:${port}`);
  } catch (error) {
    await stop();
    throw error;
  }
  return { port, stop };
}
