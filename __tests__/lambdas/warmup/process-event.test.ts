import { mockClient } from "aws-sdk-client-mock";
import "aws-sdk-client-mock-jest";
import {
  AutoScalingClient,
  AutoScalingServiceException,
  CompleteLifecycleActionCommand,
  DescribeAutoScalingInstancesCommand,
  RecordLifecycleActionHeartbeatCommand,
} from "@aws-sdk/client-auto-scaling";
import { DescribeInstancesCommand, EC2Client, Instance } from "@aws-sdk/client-ec2";
import { IncompleteAction, WarmupConfig, loadConfig } from "../../../lambdas/warmup/config";
import { HttpRequest, HttpResult } from "../../../lambdas/warmup/http";
import { processEvent } from "../../../lambdas/warmup/process-event";
import { FakeClock, fakeHttp, lifecycleEvent, memoryLogger } from "./fakes";

const autoScalingMock = mockClient(AutoScalingClient);
const ec2Mock = mockClient(EC2Client);
const INSTANCE = "i-0123456789abcdef0";
const TOKEN = "c613620e-07e2-4ed2-a9e2-ef8258911ade";

function noActiveAction(): AutoScalingServiceException {
  return new AutoScalingServiceException({ name: "ValidationError", $fault: "client", $metadata: {}, message: `No active Lifecycle Action found with token ${TOKEN}` });
}

interface SetupOptions {
  readonly state?: string | null;
  /** The server; every answer names worker w<call mod 4> unless it sets its own headers. */
  readonly respond?: (req: HttpRequest, call: number) => Partial<HttpResult>;
  readonly config?: Record<string, string>;
  readonly lambdaMs?: number;
  /** What DescribeInstances says beyond id and address. */
  readonly instance?: Partial<Instance>;
}

function setup(options: SetupOptions = {}) {
  autoScalingMock.reset();
  ec2Mock.reset();
  const state = options.state === undefined ? "Pending:Wait" : options.state;
  autoScalingMock
    .on(DescribeAutoScalingInstancesCommand)
    .resolves({ AutoScalingInstances: state === null ? [] : [{ InstanceId: INSTANCE, LifecycleState: state, AutoScalingGroupName: "fleet", AvailabilityZone: "us-east-1a", HealthStatus: "HEALTHY", ProtectedFromScaleIn: false }] });
  autoScalingMock.on(CompleteLifecycleActionCommand).resolves({});
  autoScalingMock.on(RecordLifecycleActionHeartbeatCommand).resolves({});
  ec2Mock.on(DescribeInstancesCommand).resolves({ Reservations: [{ Instances: [{ InstanceId: INSTANCE, PrivateIpAddress: "10.0.1.5", PublicDnsName: "ec2-public.example", ...options.instance }] }] });
  const clock = new FakeClock();
  const respond = options.respond ?? (() => ({ status: 200, latencyMs: 20 }));
  const http = fakeHttp(clock, (req, call) => ({ headers: { "x-worker-id": `w${call % 4}` }, ...respond(req, call) }));
  const log = memoryLogger();
  const config: WarmupConfig = loadConfig({ WARMUP_CONCURRENCY: "4", WARMUP_AUTO_SCALING_GROUP_NAME: "fleet", ...options.config }, __dirname);
  const deps = { config, ec2: new EC2Client({}), autoScaling: new AutoScalingClient({}), http, clock, log };
  const run = (event: unknown) => processEvent(event, clock.now() + (options.lambdaMs ?? 900_000), deps);
  return { run, http, log, clock };
}

const warmRequests = (calls: HttpRequest[]) => calls.filter((c) => c.path === "/predict");
const healthRequests = (calls: HttpRequest[]) => calls.filter((c) => c.path === "/health");

describe("processEvent", () => {
  describe("the four lifecycle event kinds", () => {
    test("GIVEN EC2 -> WarmPool WHEN processed THEN it waits for health, does not warm, and continues", async () => {
      const { run, http } = setup({ state: "Warmed:Pending:Wait" });
      const result = await run(lifecycleEvent({ Origin: "EC2", Destination: "WarmPool" }));
      expect(result).toMatchObject({ outcome: "prepared", result: "CONTINUE", completion: "completed" });
      expect(healthRequests(http.calls).length).toBeGreaterThan(0);
      expect(warmRequests(http.calls)).toHaveLength(0);
      expect(autoScalingMock).toHaveReceivedCommandWith(CompleteLifecycleActionCommand, {
        AutoScalingGroupName: "fleet",
        LifecycleHookName: "fleet-launch",
        LifecycleActionToken: TOKEN,
        InstanceId: INSTANCE,
        LifecycleActionResult: "CONTINUE",
      });
    });

    test.each([
      ["WarmPool -> AutoScalingGroup", { Origin: "WarmPool", Destination: "AutoScalingGroup" }],
      ["EC2 -> AutoScalingGroup", { Origin: "EC2", Destination: "AutoScalingGroup" }],
      ["no Origin/Destination", {}],
    ])("GIVEN %s WHEN processed THEN it warms the workers at the private IP and continues", async (_label, detail) => {
      const { run, http } = setup();
      const result = await run(lifecycleEvent(detail));
      expect(result).toMatchObject({ outcome: "warmed", result: "CONTINUE", completion: "completed" });
      expect(warmRequests(http.calls)).toHaveLength(8);
      expect(http.calls.every((c) => c.host === "10.0.1.5" && c.port === 80)).toBe(true);
      expect(ec2Mock).toHaveReceivedCommandWith(DescribeInstancesCommand, { InstanceIds: [INSTANCE] });
      expect(autoScalingMock).toHaveReceivedCommandWith(CompleteLifecycleActionCommand, { LifecycleActionResult: "CONTINUE" });
    });
  });

  describe("duplicates and completed actions", () => {
    test("GIVEN an instance already InService WHEN the event is delivered again THEN nothing is called", async () => {
      const { run, http } = setup({ state: "InService" });
      const result = await run(lifecycleEvent());
      expect(result).toMatchObject({ outcome: "skipped" });
      expect(result.reason).toMatch(/InService/);
      expect(http.calls).toHaveLength(0);
      expect(autoScalingMock).not.toHaveReceivedCommand(CompleteLifecycleActionCommand);
    });

    test("GIVEN an instance that left its group WHEN processed THEN it is skipped", async () => {
      const { run } = setup({ state: null });
      expect(await run(lifecycleEvent())).toMatchObject({ outcome: "skipped", reason: expect.stringMatching(/no longer in an Auto Scaling group/) });
    });

    test("GIVEN a concurrent duplicate that completed first WHEN completing THEN 'no active lifecycle action' is success", async () => {
      const { run } = setup();
      autoScalingMock.on(CompleteLifecycleActionCommand).rejects(noActiveAction());
      const result = await run(lifecycleEvent());
      expect(result).toMatchObject({ outcome: "warmed", completion: "already-complete" });
    });

    test("GIVEN the state cannot be read WHEN processed THEN it goes ahead and completes", async () => {
      const { run, log } = setup();
      autoScalingMock.on(DescribeAutoScalingInstancesCommand).rejects(new Error("Rate exceeded"));
      expect(await run(lifecycleEvent())).toMatchObject({ outcome: "warmed", completion: "completed" });
      expect(log.lines).toContainEqual(expect.objectContaining({ level: "WARN", message: "could not read the lifecycle state; going ahead" }));
    });

    test("GIVEN Auto Scaling rejects the completion for another reason WHEN processed THEN it rejects so Lambda retries", async () => {
      const { run } = setup();
      autoScalingMock.on(CompleteLifecycleActionCommand).rejects(new Error("Throttling"));
      await expect(run(lifecycleEvent())).rejects.toThrow(/Throttling/);
    });
  });

  describe("malformed and foreign events", () => {
    test.each([[null], ["x"], [{}], [{ source: "aws.autoscaling", detail: { Event: "autoscaling:TEST_NOTIFICATION" } }], [lifecycleEvent({ EC2InstanceId: 42 })]])(
      "GIVEN %j WHEN processed THEN it is ignored without any AWS or HTTP call",
      async (event) => {
        const { run, http, log } = setup();
        expect(await run(event)).toMatchObject({ outcome: "ignored" });
        expect(http.calls).toHaveLength(0);
        expect(autoScalingMock.calls()).toHaveLength(0);
        expect(ec2Mock.calls()).toHaveLength(0);
        expect(log.lines[0]).toMatchObject({ level: "WARN", message: "event ignored" });
      },
    );

    test("GIVEN another group's event WHEN processed THEN it is ignored", async () => {
      const { run } = setup();
      expect(await run(lifecycleEvent({ AutoScalingGroupName: "other" }))).toMatchObject({ outcome: "ignored", reason: expect.stringMatching(/group other/) });
      expect(autoScalingMock.calls()).toHaveLength(0);
    });
  });

  describe("servers that misbehave", () => {
    test("GIVEN a server that never becomes healthy WHEN processed THEN it abandons before the function's deadline with the reason", async () => {
      const { run, clock, http } = setup({ respond: () => ({ status: undefined, latencyMs: 2000, error: "connect ECONNREFUSED" }), lambdaMs: 120_000 });
      const started = clock.now();
      const result = await run(lifecycleEvent());
      expect(result).toMatchObject({ outcome: "abandoned", result: "ABANDON" });
      expect(result.reason).toMatch(/never became healthy .*ECONNREFUSED/);
      expect(clock.now() - started).toBeLessThanOrEqual(110_000);
      expect(warmRequests(http.calls)).toHaveLength(0);
      expect(autoScalingMock).toHaveReceivedCommandWith(CompleteLifecycleActionCommand, { LifecycleActionResult: "ABANDON" });
    });

    test("GIVEN a health endpoint that comes up late WHEN processed THEN polling backs off and then warms", async () => {
      let healthy = false;
      const { run, http, clock } = setup({
        respond: (req) => {
          if (req.path === "/health" && !healthy) {
            healthy = clock.now() > 1_700_000_030_000;
            return { status: 502, latencyMs: 1 };
          }
          return { status: 200, latencyMs: 20 };
        },
      });
      expect(await run(lifecycleEvent())).toMatchObject({ outcome: "warmed", result: "CONTINUE" });
      const health = healthRequests(http.calls);
      expect(health.length).toBeGreaterThan(5);
      expect(health.length).toBeLessThan(20);
    });

    test("GIVEN a 5xx storm during warmup WHEN processed THEN it abandons", async () => {
      const { run } = setup({ respond: (req) => (req.path === "/health" ? { status: 200, latencyMs: 1 } : { status: 503, latencyMs: 2 }) });
      const result = await run(lifecycleEvent());
      expect(result).toMatchObject({ outcome: "abandoned", result: "ABANDON", reason: expect.stringMatching(/kept failing.*HTTP 503/) });
    });

    test("GIVEN slow first requests (model loads) WHEN processed THEN warmup outlasts them and continues", async () => {
      const { run, http } = setup({ respond: (req, call) => (req.path === "/health" ? { status: 200, latencyMs: 1 } : { status: 200, latencyMs: call <= 5 ? 2500 : 20 }) });
      const result = await run(lifecycleEvent());
      expect(result).toMatchObject({ outcome: "warmed", result: "CONTINUE" });
      expect(result.warmup).toMatchObject({ rounds: 3, coldLatencyMs: 2500 });
      expect(warmRequests(http.calls)).toHaveLength(12);
    });

    test("GIVEN rounds that cannot finish before the deadline WHEN processed THEN it completes in time with the incomplete policy", async () => {
      const slow = (req: HttpRequest, call: number) => (req.path === "/health" ? { status: 200, latencyMs: 1 } : { status: 200, latencyMs: call % 2 ? 40_000 : 20 });
      const continued = setup({ respond: slow, lambdaMs: 100_000 });
      expect(await continued.run(lifecycleEvent())).toMatchObject({ outcome: "incomplete", result: "CONTINUE" });
      const abandoned = setup({ respond: slow, lambdaMs: 100_000, config: { WARMUP_ON_INCOMPLETE: IncompleteAction.ABANDON } });
      expect(await abandoned.run(lifecycleEvent())).toMatchObject({ outcome: "incomplete", result: "ABANDON" });
      expect(abandoned.clock.now() - 1_700_000_000_000).toBeLessThanOrEqual(90_000);
    });

    test("GIVEN a proxy whose /health answers while /predict gives 502 for a minute WHEN processed THEN it waits for the app and warms instead of abandoning", async () => {
      const { run, clock } = setup({
        respond: (req) => (req.path === "/predict" && clock.now() < 1_700_000_060_000 ? { status: 502, latencyMs: 2 } : { status: 200, latencyMs: 20 }),
      });
      const result = await run(lifecycleEvent());
      expect(result).toMatchObject({ outcome: "warmed", result: "CONTINUE" });
      expect(result.warmup?.notReadyMs).toBeGreaterThanOrEqual(60_000);
    });

    test("GIVEN the instance cannot be described WHEN processed THEN it abandons instead of leaving it waiting", async () => {
      const { run } = setup();
      ec2Mock.on(DescribeInstancesCommand).resolves({ Reservations: [] });
      const result = await run(lifecycleEvent());
      expect(result).toMatchObject({ outcome: "abandoned", result: "ABANDON", reason: expect.stringMatching(/no private IP address/) });
    });
  });

  describe("the instance's real size", () => {
    // A fleet planned on c6i.2xlarge (8 vCPUs) that launched a c6i.4xlarge override.
    const planned = { WARMUP_FALLBACK_WORKERS: "8", WARMUP_CONCURRENCY: "" };
    const c6i4xlarge: Partial<Instance> = { InstanceType: "c6i.4xlarge", CpuOptions: { CoreCount: 8, ThreadsPerCore: 2 } };
    const sixteenWorkers = (_req: HttpRequest, call: number): Partial<HttpResult> => ({ status: 200, latencyMs: 20, headers: { "x-worker-id": `w${call % 16}` } });

    test("GIVEN an instance of another type than the fleet's primary one WHEN processed THEN it expects one worker per vCPU it really has and sends rounds twice that wide", async () => {
      const { run, http, log } = setup({ config: planned, instance: c6i4xlarge, respond: sixteenWorkers });
      const result = await run(lifecycleEvent());
      expect(result).toMatchObject({ outcome: "warmed", warmup: { coverage: { mode: "worker-header", workersSeen: 16, workersExpected: 16 } } });
      expect(warmRequests(http.calls)).toHaveLength(2 * 32);
      expect(log.lines).toContainEqual(expect.objectContaining({ message: "warming", instanceType: "c6i.4xlarge", vcpus: 16, expectedWorkers: 16, workersFrom: "vcpus" }));
    });

    test("GIVEN a configured worker count WHEN the instance has more vCPUs THEN the configured count wins", async () => {
      const sixWorkers = (_req: HttpRequest, call: number): Partial<HttpResult> => ({ status: 200, latencyMs: 20, headers: { "x-worker-id": `w${call % 6}` } });
      const { run, http } = setup({ config: { ...planned, WARMUP_WORKERS: "6" }, instance: c6i4xlarge, respond: sixWorkers });
      const result = await run(lifecycleEvent());
      expect(result).toMatchObject({ outcome: "warmed", warmup: { coverage: { mode: "worker-header", workersSeen: 6, workersExpected: 6 } } });
      expect(warmRequests(http.calls)).toHaveLength(2 * 12);
    });

    test("GIVEN DescribeInstances without CpuOptions WHEN processed THEN the count planned from the fleet's type is used", async () => {
      const { run, log } = setup({ config: planned, respond: sixteenWorkers });
      expect((await run(lifecycleEvent())).warmup?.coverage).toMatchObject({ workersExpected: 8 });
      expect(log.lines).toContainEqual(expect.objectContaining({ message: "warming", vcpus: undefined, expectedWorkers: 8, workersFrom: "fleet-type" }));
    });

    test("GIVEN fewer workers answering than the instance's vCPUs WHEN the budget runs out THEN it is incomplete and the default puts it in service", async () => {
      const { run } = setup({ config: planned, instance: c6i4xlarge });
      const result = await run(lifecycleEvent());
      expect(result).toMatchObject({ outcome: "incomplete", result: "CONTINUE", warmup: { coverage: { workersSeen: 4, workersExpected: 16 } } });
      expect(result.reason).toMatch(/4 of 16 workers answered/);
    });
  });

  describe("heartbeats, logs and metrics", () => {
    test("GIVEN a long wait WHEN processed THEN heartbeats keep the action alive and stop afterwards", async () => {
      const { run, clock } = setup({
        config: { WARMUP_HEARTBEAT_INTERVAL_SECONDS: "10" },
        respond: (req) => (req.path === "/health" && clock.now() < 1_700_000_045_000 ? { status: 502, latencyMs: 1 } : { status: 200, latencyMs: 20 }),
      });
      await run(lifecycleEvent());
      const beats = autoScalingMock.commandCalls(RecordLifecycleActionHeartbeatCommand);
      expect(beats.length).toBeGreaterThanOrEqual(4);
      expect(beats[0].args[0].input).toEqual({ AutoScalingGroupName: "fleet", LifecycleHookName: "fleet-launch", LifecycleActionToken: TOKEN, InstanceId: INSTANCE });
      clock.advance(60_000);
      expect(autoScalingMock.commandCalls(RecordLifecycleActionHeartbeatCommand)).toHaveLength(beats.length);
    });

    test("GIVEN a warmed instance WHEN processed THEN the log reports rounds, requests and percentiles and an EMF document carries the metrics", async () => {
      const { run, log } = setup();
      await run(lifecycleEvent({ Origin: "WarmPool", Destination: "AutoScalingGroup" }));
      expect(log.lines).toContainEqual(
        expect.objectContaining({ message: "lifecycle action completed", outcome: "warmed", rounds: 2, requests: 8, latencyMs: { p50: 20, p90: 20, p99: 20, max: 20 } }),
      );
      expect(log.raws).toHaveLength(1);
      const emf = JSON.parse(log.raws[0]);
      expect(emf._aws.CloudWatchMetrics[0]).toMatchObject({ Namespace: "Warmfleet/Warmup", Dimensions: [["AutoScalingGroupName"], ["AutoScalingGroupName", "Destination"]] });
      expect(emf).toMatchObject({ AutoScalingGroupName: "fleet", Destination: "AutoScalingGroup", Outcome: "warmed", Requests: 8, Rounds: 2, Outcome_warmed: 1, ColdLatencyMs: 20 });
      expect(emf._aws.CloudWatchMetrics[0].Metrics.map((m: { Name: string }) => m.Name)).toEqual(expect.arrayContaining(["DurationMs", "Requests", "ColdLatencyMs", "Outcome_warmed", "Coverage"]));
      expect(emf).toMatchObject({ CoverageMode: "worker-header", WorkersSeen: 4, WorkersExpected: 4, Coverage: 100 });
    });

    test("GIVEN a server without the worker header WHEN processed THEN log and metrics say coverage is unverified, and the instance goes in service as incomplete", async () => {
      const { run, log } = setup({ respond: () => ({ status: 200, latencyMs: 20, headers: {} }) });
      expect(await run(lifecycleEvent())).toMatchObject({ outcome: "incomplete", result: "CONTINUE" });
      expect(log.lines).toContainEqual(
        expect.objectContaining({ level: "WARN", message: "lifecycle action completed", coverage: { mode: "latency-only", workersSeen: undefined, workersExpected: 4 }, reason: expect.stringMatching(/unverified/) }),
      );
      expect(JSON.parse(log.raws[0])).toMatchObject({ CoverageMode: "latency-only", CoverageUnverified: 1, WorkersExpected: 4, Outcome_incomplete: 1 });
    });
  });
});
