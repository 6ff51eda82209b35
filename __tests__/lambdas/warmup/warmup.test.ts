import { WarmupPolicy, percentile, warmWorkers } from "../../../lambdas/warmup/warmup";
import { HttpRequest, HttpResult } from "../../../lambdas/warmup/http";
import { FakeClock, fakeHttp } from "./fakes";

const policy: WarmupPolicy = { concurrency: 4, cleanRounds: 2, coldFactor: 3, coldToleranceMs: 100, maxRequests: 40, maxFailedRounds: 3 };
const request = { path: "/predict", method: "POST", body: Buffer.from("{}"), contentType: "application/json", requestTimeoutMs: 60_000 };
const endpoint = { host: "10.0.1.5", port: 80 };

/** Latencies by round: rounds[r][i] is the i-th request of round r (the last round repeats). */
function scripted(rounds: (number | Partial<HttpResult>)[][]) {
  return (_req: HttpRequest, call: number): Partial<HttpResult> => {
    const round = Math.floor((call - 1) / policy.concurrency);
    const row = rounds[Math.min(round, rounds.length - 1)];
    const cell = row[(call - 1) % policy.concurrency] ?? row[row.length - 1];
    return typeof cell === "number" ? { status: 200, latencyMs: cell } : cell;
  };
}

async function warm(rounds: (number | Partial<HttpResult>)[][], overrides: Partial<WarmupPolicy> = {}, deadlineInMs = 600_000) {
  const clock = new FakeClock();
  const http = fakeHttp(clock, scripted(rounds));
  const report = await warmWorkers(http, clock, endpoint, request, { ...policy, ...overrides }, clock.now() + deadlineInMs);
  return { report, http, clock };
}

describe("warmWorkers", () => {
  test("GIVEN an already warm server WHEN warmed THEN two clean rounds suffice", async () => {
    const { report, http } = await warm([[20, 22, 21, 20]]);
    expect(report).toMatchObject({ status: "warm", rounds: 2, requests: 8, failedRequests: 0 });
    expect(http.calls[0]).toMatchObject({ host: "10.0.1.5", port: 80, path: "/predict", method: "POST", contentType: "application/json" });
    expect(http.calls[0].body?.toString()).toBe("{}");
  });

  test("GIVEN all workers cold at first WHEN warmed THEN the slow first round is not counted as clean", async () => {
    const { report } = await warm([[2300, 2300, 2350, 2400], [20, 21, 22, 20]]);
    expect(report).toMatchObject({ status: "warm", rounds: 3, requests: 12 });
    expect(report.warmLatencyMs).toBe(20);
    expect(report.coldLatencyMs).toBe(2400);
  });

  test("GIVEN a worker missed by the first round WHEN it shows up cold later THEN warmup goes on until two clean rounds follow", async () => {
    const { report } = await warm([[2300, 2300, 20, 20], [20, 2300, 20, 21], [20, 21, 22, 20]]);
    expect(report).toMatchObject({ status: "warm", rounds: 4, requests: 16 });
  });

  test("GIVEN a slow first request only (first inference cost) WHEN warmed THEN it counts as cold", async () => {
    const { report } = await warm([[20, 20, 20, 400], [20, 21, 20, 22]]);
    expect(report.rounds).toBe(3);
  });

  test("GIVEN a uniformly slow model WHEN warmed THEN it is warm after two rounds, not judged cold forever", async () => {
    const { report } = await warm([[1000, 1020, 990, 1010]]);
    expect(report).toMatchObject({ status: "warm", rounds: 2 });
  });

  test("GIVEN a 5xx storm WHEN warmed THEN it reports failing after maxFailedRounds rounds", async () => {
    const { report } = await warm([[{ status: 502, latencyMs: 3 }]]);
    expect(report).toMatchObject({ status: "failing", rounds: 3, requests: 12, failedRequests: 12 });
    expect(report.reason).toMatch(/kept failing: 3 rounds in a row.*HTTP 502/);
  });

  test("GIVEN connection errors WHEN warmed THEN they count as failures with their message", async () => {
    const { report } = await warm([[{ status: undefined, latencyMs: 1, error: "connect ECONNREFUSED" }]], { maxFailedRounds: 2 });
    expect(report).toMatchObject({ status: "failing", rounds: 2 });
    expect(report.reason).toMatch(/ECONNREFUSED/);
  });

  test("GIVEN one failed round among good ones WHEN warmed THEN the failure streak resets and warmup succeeds", async () => {
    const { report } = await warm([[20, 20, { status: 500, latencyMs: 5 }, 20], [20, 20, 20, 20]]);
    expect(report).toMatchObject({ status: "warm", rounds: 3, failedRequests: 1 });
  });

  test("GIVEN latencies that never settle WHEN the budget runs out THEN it reports incomplete within the budget", async () => {
    const { report } = await warm([[20, 20, 20, 900], [900, 20, 20, 20]], { maxRequests: 18 });
    expect(report.status).toBe("incomplete");
    expect(report.requests).toBe(16);
    expect(report.reason).toMatch(/request budget of 18/);
  });

  test("GIVEN rounds slower than the time left WHEN the deadline passes THEN it stops with incomplete and never asks for more time than is left", async () => {
    const { report, http } = await warm([[10_000, 10_000, 10_000, 10_000], [30, 30, 30, 10_000]], {}, 25_000);
    expect(report.status).toBe("incomplete");
    expect(report.reason).toMatch(/deadline/);
    expect(report.rounds).toBe(3);
    expect(http.calls.every((c) => c.timeoutMs <= 25_000)).toBe(true);
    expect(http.calls[http.calls.length - 1].timeoutMs).toBe(5_000);
  });

  test("GIVEN latencies WHEN reported THEN percentiles are nearest-rank", async () => {
    expect(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 50)).toBe(5);
    expect(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 90)).toBe(9);
    expect(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 99)).toBe(10);
    const { report } = await warm([[10, 20, 30, 40]]);
    expect(report.latencyMs).toEqual({ p50: 20, p90: 40, p99: 40, max: 40 });
  });
});
