import { createServer, Server } from "node:http";
import { AddressInfo, Socket, createServer as createNetServer } from "node:net";
import { existsSync } from "node:fs";
import { LoopbackAws, startLoopbackAws } from "../../../testing/loopback-aws";
import { WARMUP_BUNDLE, invokeBundle } from "../../../testing/invoke-bundle";
import { lifecycleEvent } from "./fakes";

// The deployable artifact itself (npm run build), against loopback AWS and HTTP servers.
const INSTANCE = "i-0123456789abcdef0";
const TOKEN = "c613620e-07e2-4ed2-a9e2-ef8258911ade";

interface FakeServer {
  readonly port: number;
  readonly paths: string[];
  close(): Promise<void>;
}

/** An HTTP server of four workers, named in X-Worker-Id, whose first `coldRequests` predictions are slow, like models loading. */
async function startServer(options: { healthy: boolean; coldRequests?: number }): Promise<FakeServer> {
  const paths: string[] = [];
  let predictions = 0;
  const server: Server = createServer((req, res) => {
    paths.push(req.url ?? "");
    req.resume();
    req.on("end", () => {
      if (req.url === "/health") {
        res.writeHead(options.healthy ? 200 : 503).end();
        return;
      }
      predictions += 1;
      const headers = { "content-type": "application/json", "x-worker-id": `w${predictions % 4}` };
      setTimeout(() => res.writeHead(200, headers).end('{"label":1}'), predictions <= (options.coldRequests ?? 0) ? 400 : 5);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    port: (server.address() as AddressInfo).port,
    paths,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe("built warmup bundle (dist/lambdas/warmup/index.js)", () => {
  let aws: LoopbackAws;
  beforeAll(async () => {
    if (!existsSync(WARMUP_BUNDLE)) throw new Error(`${WARMUP_BUNDLE} is missing: run npm run build (npm test does it first)`);
    aws = await startLoopbackAws();
  });
  afterAll(() => aws.close());

  function arrange(lifecycleState: string): void {
    aws.calls.length = 0;
    aws.instances.set(INSTANCE, { instanceId: INSTANCE, privateIpAddress: "127.0.0.1" });
    aws.lifecycle.set(INSTANCE, { lifecycleState, activeToken: TOKEN });
  }

  const env = (server: FakeServer) => ({ WARMUP_PORT: String(server.port), WARMUP_CONCURRENCY: "4", WARMUP_AUTO_SCALING_GROUP_NAME: "fleet" });
  const actions = () => aws.calls.map((c) => `${c.service}:${c.action}`);

  test.each([
    ["EC2 -> WarmPool", { Origin: "EC2", Destination: "WarmPool" }, "Warmed:Pending:Wait", "prepared", false],
    ["WarmPool -> AutoScalingGroup", { Origin: "WarmPool", Destination: "AutoScalingGroup" }, "Pending:Wait", "warmed", true],
    ["EC2 -> AutoScalingGroup", { Origin: "EC2", Destination: "AutoScalingGroup" }, "Pending:Wait", "warmed", true],
    ["no Origin/Destination", {}, "Pending:Wait", "warmed", true],
  ])("GIVEN a %s event WHEN the bundle handles it THEN it makes the right AWS calls and completes with CONTINUE", async (_label, detail, state, outcome, warms) => {
    arrange(state);
    const server = await startServer({ healthy: true, coldRequests: 4 });
    try {
      const run = await invokeBundle({ event: lifecycleEvent(detail), awsEndpoint: aws.url, env: env(server) });
      expect(run.exitCode).toBe(0);
      expect(run.stderr).not.toMatch(/error/i);
      expect(run.result).toMatchObject({ outcome, result: "CONTINUE", completion: "completed" });
      expect(actions()).toEqual(["autoscaling:DescribeAutoScalingInstances", "ec2:DescribeInstances", "autoscaling:CompleteLifecycleAction"]);
      expect(aws.calls[1].params).toMatchObject({ "InstanceId.1": INSTANCE });
      expect(aws.calls[2].params).toMatchObject({
        AutoScalingGroupName: "fleet",
        LifecycleHookName: "fleet-launch",
        LifecycleActionToken: TOKEN,
        InstanceId: INSTANCE,
        LifecycleActionResult: "CONTINUE",
      });
      expect(server.paths.filter((p) => p === "/predict").length > 0).toBe(warms);
      expect(server.paths).toContain("/health");
      expect(run.logs.some((l) => (l as { _aws?: unknown })._aws !== undefined)).toBe(true);
    } finally {
      await server.close();
    }
  });

  test("GIVEN the same event delivered twice WHEN the bundle handles the second THEN it skips without completing again", async () => {
    arrange("Pending:Wait");
    const server = await startServer({ healthy: true });
    try {
      const first = await invokeBundle({ event: lifecycleEvent(), awsEndpoint: aws.url, env: env(server) });
      expect(first.result).toMatchObject({ completion: "completed" });
      aws.calls.length = 0;
      const second = await invokeBundle({ event: lifecycleEvent(), awsEndpoint: aws.url, env: env(server) });
      expect(second.result).toMatchObject({ outcome: "skipped", reason: expect.stringMatching(/InService/) });
      expect(actions()).toEqual(["autoscaling:DescribeAutoScalingInstances"]);
    } finally {
      await server.close();
    }
    // Two cold starts of the bundle.
  }, 15_000);

  test("GIVEN a completion racing another delivery WHEN Auto Scaling answers ValidationError THEN the bundle treats it as done", async () => {
    arrange("Pending:Wait");
    aws.lifecycle.set(INSTANCE, { lifecycleState: "Pending:Wait", activeToken: "another-token" });
    const server = await startServer({ healthy: true });
    try {
      const run = await invokeBundle({ event: lifecycleEvent(), awsEndpoint: aws.url, env: env(server) });
      expect(run.exitCode).toBe(0);
      expect(run.result).toMatchObject({ outcome: "warmed", completion: "already-complete" });
    } finally {
      await server.close();
    }
  });

  test("GIVEN a server that never becomes healthy WHEN the function's time runs out THEN it abandons before the deadline", async () => {
    arrange("Pending:Wait");
    const server = await startServer({ healthy: false });
    try {
      const started = Date.now();
      const run = await invokeBundle({ event: lifecycleEvent(), awsEndpoint: aws.url, env: { ...env(server), WARMUP_SAFETY_MARGIN_SECONDS: "2" }, remainingMs: 5_000 });
      expect(Date.now() - started).toBeLessThan(5_000);
      expect(run.result).toMatchObject({ outcome: "abandoned", result: "ABANDON", reason: expect.stringMatching(/never became healthy.*HTTP 503/) });
      expect(aws.calls.find((c) => c.action === "CompleteLifecycleAction")?.params.LifecycleActionResult).toBe("ABANDON");
    } finally {
      await server.close();
    }
  });

  test("GIVEN AWS endpoints that accept connections but never answer WHEN the bundle runs THEN every call times out and the function fails fast for Lambda to retry", async () => {
    const sockets: Socket[] = [];
    const blackHole = createNetServer((socket) => sockets.push(socket));
    await new Promise<void>((resolve) => blackHole.listen(0, "127.0.0.1", resolve));
    const server = await startServer({ healthy: true });
    try {
      const started = Date.now();
      const run = await invokeBundle({
        event: lifecycleEvent(),
        awsEndpoint: `http://127.0.0.1:${(blackHole.address() as AddressInfo).port}`,
        env: { ...env(server), WARMUP_AWS_TIMEOUT_MS: "300" },
        remainingMs: 60_000,
      });
      expect(Date.now() - started).toBeLessThan(20_000);
      expect(run.exitCode).not.toBe(0);
      expect(run.stderr).toMatch(/timeout|timed out|TimeoutError/i);
      expect(sockets.length).toBeGreaterThanOrEqual(3);
    } finally {
      sockets.forEach((s) => s.destroy());
      await new Promise<void>((resolve) => blackHole.close(() => resolve()));
      await server.close();
    }
  });

  test("GIVEN a malformed event WHEN the bundle handles it THEN it logs and returns without calling AWS", async () => {
    arrange("Pending:Wait");
    const run = await invokeBundle({ event: { hello: "world" }, awsEndpoint: aws.url, env: { WARMUP_PORT: "80" } });
    expect(run.result).toMatchObject({ outcome: "ignored" });
    expect(aws.calls).toHaveLength(0);
    expect(run.logs[0]).toMatchObject({ level: "WARN", message: "event ignored" });
  });

  test("GIVEN a bad environment WHEN the bundle cold-starts THEN it fails with every problem named", async () => {
    const run = await invokeBundle({ event: lifecycleEvent(), awsEndpoint: aws.url, env: { WARMUP_PORT: "eighty", WARMUP_METHOD: "PATCH" } });
    expect(run.exitCode).not.toBe(0);
    expect(run.stderr).toMatch(/WARMUP_PORT="eighty" must be an integer from 1 to 65535/);
    expect(run.stderr).toMatch(/WARMUP_METHOD="PATCH" must be one of GET, POST, PUT/);
  });
});
