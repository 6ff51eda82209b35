import { LoopbackAws, startLoopbackAws } from "../../testing/loopback-aws";
import { invokeBundle } from "../../testing/invoke-bundle";
import { ExampleServer, ExampleServerOptions, coldHitsInBurst, startExampleServer } from "../../testing/example-server";
import { lifecycleEvent } from "../lambdas/warmup/fakes";

// The built warmup bundle against the real server stack (nginx -> uWSGI lazy-apps -> Flask) on
// loopback, with AWS answered by the loopback query-protocol server.
const INSTANCE = "i-0123456789abcdef0";
const TOKEN = "c613620e-07e2-4ed2-a9e2-ef8258911ade";
const E2E_TIMEOUT_MS = 90_000;

describe("end-to-end warmup on nginx + uWSGI + Flask", () => {
  let aws: LoopbackAws;
  beforeAll(async () => {
    aws = await startLoopbackAws();
  });
  afterAll(() => aws.close());

  async function withServer<T>(options: ExampleServerOptions, body: (server: ExampleServer) => Promise<T>): Promise<T> {
    const server = await startExampleServer(options);
    try {
      return await body(server);
    } finally {
      await server.stop();
    }
  }

  /**
   * Runs the bundle for the instance. The worker count is not configured: the function reads the
   * instance's vCPUs from DescribeInstances (CpuOptions, as EC2 reports them for a c6i.4xlarge or
   * c6i.8xlarge) while its fallback is the fleet's primary type's (a c6i.xlarge: 4).
   */
  async function warm(server: ExampleServer, workers: number, detail: Record<string, unknown> = {}, lifecycleState = "Pending:Wait") {
    aws.calls.length = 0;
    aws.instances.set(INSTANCE, {
      instanceId: INSTANCE,
      privateIpAddress: "127.0.0.1",
      instanceType: workers === 4 ? "c6i.xlarge" : `c6i.${workers / 4}xlarge`,
      cpuOptions: { coreCount: workers / 2, threadsPerCore: 2 },
    });
    aws.lifecycle.set(INSTANCE, { lifecycleState, activeToken: TOKEN });
    const run = await invokeBundle({
      event: lifecycleEvent(detail),
      awsEndpoint: aws.url,
      env: { WARMUP_PORT: String(server.port), WARMUP_FALLBACK_WORKERS: "4", WARMUP_AUTO_SCALING_GROUP_NAME: "fleet", WARMUP_REQUEST_TIMEOUT_SECONDS: "30" },
      remainingMs: 80_000,
    });
    const completion = aws.calls.find((c) => c.action === "CompleteLifecycleAction");
    return { run, result: completion?.params.LifecycleActionResult };
  }

  test.each([16, 32])(
    "GIVEN %i cold workers WHEN the bundle warms the instance THEN every worker has answered, loaded its model, and the next users meet no cold worker",
    async (workers) => {
      await withServer({ workers, modelLoadSeconds: 1 }, async (server) => {
        const { run, result } = await warm(server, workers, { Origin: "WarmPool", Destination: "AutoScalingGroup" });
        expect(run.result).toMatchObject({ outcome: "warmed", completion: "completed", warmup: { coverage: { mode: "worker-header", workersSeen: workers, workersExpected: workers } } });
        expect(result).toBe("CONTINUE");
        expect(server.loadedWorkers()).toBe(workers);
        const burst = await coldHitsInBurst(server.port, 3 * workers);
        expect(burst.cold).toBe(0);
      });
    },
    E2E_TIMEOUT_MS,
  );

  test(
    "GIVEN a server whose health endpoint comes up late WHEN the bundle handles the event THEN it waits, warms and continues",
    async () => {
      await withServer({ workers: 4, modelLoadSeconds: 1, healthDelayMs: 3_000 }, async (server) => {
        const { run, result } = await warm(server, 4);
        expect(run.result).toMatchObject({ outcome: "warmed" });
        expect(result).toBe("CONTINUE");
        expect(server.loadedWorkers()).toBe(4);
        expect((await coldHitsInBurst(server.port, 12)).cold).toBe(0);
      });
    },
    E2E_TIMEOUT_MS,
  );

  test(
    "GIVEN an instance on its way into the warm pool WHEN the bundle handles the event THEN it continues without loading any model",
    async () => {
      await withServer({ workers: 4, modelLoadSeconds: 1 }, async (server) => {
        const { run, result } = await warm(server, 4, { Origin: "EC2", Destination: "WarmPool" }, "Warmed:Pending:Wait");
        expect(run.result).toMatchObject({ outcome: "prepared" });
        expect(result).toBe("CONTINUE");
        expect(server.loadedWorkers()).toBe(0);
      });
    },
    E2E_TIMEOUT_MS,
  );
});
