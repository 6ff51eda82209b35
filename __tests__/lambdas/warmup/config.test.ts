import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ConfigError, IncompleteAction, loadConfig, warmupPolicyFor } from "../../../lambdas/warmup/config";

const bundleDir = mkdtempSync(join(tmpdir(), "warmup-config-"));
writeFileSync(join(bundleDir, "payload.jpg"), Buffer.from([0xff, 0xd8, 0xff, 0xe0]));
afterAll(() => rmSync(bundleDir, { recursive: true, force: true }));

describe("loadConfig", () => {
  test("GIVEN no variables WHEN loaded THEN the documented defaults apply", () => {
    const config = loadConfig({}, bundleDir);
    expect(config).toMatchObject({
      port: 80,
      healthPath: "/health",
      warmupPath: "/predict",
      method: "POST",
      contentType: "application/json",
      workers: undefined,
      fallbackWorkers: 4,
      concurrency: undefined,
      cleanRounds: 2,
      coldFactor: 3,
      coldToleranceMs: 100,
      maxRequests: undefined,
      notReadyWindowMs: 300_000,
      maxBackoffMs: 10_000,
      workerIdHeader: "x-worker-id",
      requestTimeoutMs: 60_000,
      healthRequestTimeoutMs: 2_000,
      healthDeadlineMs: 600_000,
      heartbeatIntervalMs: 60_000,
      safetyMarginMs: 10_000,
      onIncomplete: IncompleteAction.CONTINUE,
      autoScalingGroupName: undefined,
      metricsNamespace: "Warmfleet/Warmup",
      awsRequestTimeoutMs: 5_000,
    });
    expect(config.body?.toString()).toBe("{}");
  });

  test("GIVEN every variable WHEN loaded THEN each is used", () => {
    const config = loadConfig(
      {
        WARMUP_PORT: "8080",
        WARMUP_HEALTH_PATH: "/ready",
        WARMUP_PATH: "/v1/infer",
        WARMUP_METHOD: "put",
        WARMUP_BODY: '{"x":1}',
        WARMUP_CONTENT_TYPE: "text/plain",
        WARMUP_WORKERS: "12",
        WARMUP_FALLBACK_WORKERS: "8",
        WARMUP_CONCURRENCY: "64",
        WARMUP_CLEAN_ROUNDS: "3",
        WARMUP_COLD_FACTOR: "2.5",
        WARMUP_COLD_TOLERANCE_MS: "50",
        WARMUP_MAX_REQUESTS: "1000",
        WARMUP_NOT_READY_WINDOW_SECONDS: "120",
        WARMUP_MAX_BACKOFF_SECONDS: "4",
        WARMUP_WORKER_ID_HEADER: "X-Served-By",
        WARMUP_REQUEST_TIMEOUT_SECONDS: "30",
        WARMUP_HEALTH_TIMEOUT_SECONDS: "3",
        WARMUP_HEALTH_DEADLINE_SECONDS: "300",
        WARMUP_HEARTBEAT_INTERVAL_SECONDS: "20",
        WARMUP_SAFETY_MARGIN_SECONDS: "15",
        WARMUP_ON_INCOMPLETE: "ABANDON",
        WARMUP_AUTO_SCALING_GROUP_NAME: "fleet",
        WARMUP_METRICS_NAMESPACE: "Team/Warmup",
        WARMUP_AWS_TIMEOUT_MS: "2500",
      },
      bundleDir,
    );
    expect(config).toMatchObject({
      port: 8080,
      healthPath: "/ready",
      warmupPath: "/v1/infer",
      method: "PUT",
      contentType: "text/plain",
      workers: 12,
      fallbackWorkers: 8,
      concurrency: 64,
      cleanRounds: 3,
      coldFactor: 2.5,
      coldToleranceMs: 50,
      maxRequests: 1000,
      notReadyWindowMs: 120_000,
      maxBackoffMs: 4_000,
      workerIdHeader: "x-served-by",
      requestTimeoutMs: 30_000,
      healthRequestTimeoutMs: 3_000,
      healthDeadlineMs: 300_000,
      heartbeatIntervalMs: 20_000,
      safetyMarginMs: 15_000,
      onIncomplete: IncompleteAction.ABANDON,
      autoScalingGroupName: "fleet",
      metricsNamespace: "Team/Warmup",
      awsRequestTimeoutMs: 2_500,
    });
    expect(config.body?.toString()).toBe('{"x":1}');
  });

  test("GIVEN an empty worker header WHEN loaded THEN coverage is off, unlike an unset one", () => {
    expect(loadConfig({ WARMUP_WORKER_ID_HEADER: "" }, bundleDir).workerIdHeader).toBeUndefined();
  });

  test.each([
    ["defaults, 16 vCPUs", {}, 16, { concurrency: 32, maxRequests: 1600, expectedWorkers: 16 }],
    ["defaults, 4 vCPUs", {}, 4, { concurrency: 8, maxRequests: 400, expectedWorkers: 4 }],
    ["a round narrower than the workers", { WARMUP_CONCURRENCY: "8" }, 16, { concurrency: 16, maxRequests: 800 }],
    ["a wider configured round", { WARMUP_CONCURRENCY: "40" }, 16, { concurrency: 40, maxRequests: 2000 }],
    ["a budget below one round", { WARMUP_MAX_REQUESTS: "10" }, 16, { concurrency: 32, maxRequests: 32 }],
  ])("GIVEN %s WHEN the policy for an instance is made THEN rounds follow its workers", (_label, env, workers, expected) => {
    expect(warmupPolicyFor(loadConfig(env, bundleDir), workers)).toMatchObject(expected);
  });

  test("GIVEN GET WHEN loaded THEN there is no body, not even the default", () => {
    expect(loadConfig({ WARMUP_METHOD: "GET" }, bundleDir).body).toBeUndefined();
  });

  test("GIVEN a body file in the bundle WHEN loaded THEN its bytes are the body", () => {
    expect(loadConfig({ WARMUP_BODY_FILE: "payload.jpg" }, bundleDir).body).toEqual(Buffer.from([0xff, 0xd8, 0xff, 0xe0]));
  });

  test.each<[Record<string, string>, RegExp]>([
    [{ WARMUP_PORT: "0" }, /WARMUP_PORT="0" must be an integer from 1 to 65535/],
    [{ WARMUP_PORT: "http" }, /WARMUP_PORT="http"/],
    [{ WARMUP_HEALTH_PATH: "health" }, /WARMUP_HEALTH_PATH="health" must be an absolute path/],
    [{ WARMUP_PATH: "predict" }, /WARMUP_PATH="predict"/],
    [{ WARMUP_METHOD: "DELETE" }, /WARMUP_METHOD="DELETE" must be one of GET, POST, PUT/],
    [{ WARMUP_CONCURRENCY: "2.5" }, /WARMUP_CONCURRENCY="2.5" must be an integer/],
    [{ WARMUP_WORKERS: "0" }, /WARMUP_WORKERS="0" must be an integer from 1 to 1024/],
    [{ WARMUP_NOT_READY_WINDOW_SECONDS: "1" }, /WARMUP_NOT_READY_WINDOW_SECONDS="1" must be an integer from 5 to 3600/],
    [{ WARMUP_WORKER_ID_HEADER: "X Worker" }, /WARMUP_WORKER_ID_HEADER="X Worker" must be an HTTP header name/],
    [{ WARMUP_COLD_FACTOR: "1" }, /WARMUP_COLD_FACTOR="1" must be a number from 1.1 to 100/],
    [{ WARMUP_ON_INCOMPLETE: "RETRY" }, /WARMUP_ON_INCOMPLETE="RETRY" must be one of CONTINUE, ABANDON/],
    [{ WARMUP_HEARTBEAT_INTERVAL_SECONDS: "1" }, /WARMUP_HEARTBEAT_INTERVAL_SECONDS="1"/],
    [{ WARMUP_BODY: "{}", WARMUP_BODY_FILE: "payload.jpg" }, /WARMUP_BODY and WARMUP_BODY_FILE are both set/],
    [{ WARMUP_METHOD: "GET", WARMUP_BODY: "{}" }, /WARMUP_METHOD=GET sends no body/],
    [{ WARMUP_BODY_FILE: "../etc/passwd" }, /must be a path inside the bundle/],
    [{ WARMUP_BODY_FILE: "missing.jpg" }, /WARMUP_BODY_FILE="missing.jpg" cannot be read from the bundle/],
  ])("GIVEN %j WHEN loaded THEN a ConfigError names the variable and what is allowed", (env, message) => {
    expect(() => loadConfig(env, bundleDir)).toThrow(ConfigError);
    expect(() => loadConfig(env, bundleDir)).toThrow(message);
  });

  test("GIVEN several bad variables WHEN loaded THEN all are reported at once", () => {
    const load = () => loadConfig({ WARMUP_PORT: "-1", WARMUP_METHOD: "X" }, bundleDir);
    expect(load).toThrow(/WARMUP_PORT="-1"/);
    expect(load).toThrow(/WARMUP_METHOD="X"/);
  });
});
