import { WarmupPolicy, percentile, warmWorkers } from "../../../lambdas/warmup/warmup";
import { HttpRequest, HttpResult } from "../../../lambdas/warmup/http";
import { FakeClock, fakeHttp } from "./fakes";

const policy: WarmupPolicy = {
  concurrency: 4,
  cleanRounds: 2,
  coldFactor: 3,
  coldToleranceMs: 100,
  maxRequests: 40,
  notReadyWindowMs: 30_000,
  maxBackoffMs: 5_000,
  workerIdHeader: "x-worker-id",
  expectedWorkers: 4,
};
const request = { path: "/predict", method: "POST", body: Buffer.from("{}"), contentType: "application/json", requestTimeoutMs: 60_000 };
const endpoint = { host: "10.0.1.5", port: 80 };

type Cell = number | Partial<HttpResult>;

/** A 2xx answered by worker w<i>, i being the request's place in its round, unless told otherwise. */
function answer(cell: Cell, place: number): Partial<HttpResult> {
  if (typeof cell !== "number") return cell;
  return { status: 200, latencyMs: cell, headers: { "x-worker-id": `w${place}` } };
}

/** Latencies by round: rounds[r][i] is the i-th request of round r (the last round repeats). */
function scripted(rounds: Cell[][], width = policy.concurrency) {
  return (_req: HttpRequest, call: number): Partial<HttpResult> => {
    const round = Math.floor((call - 1) / width);
    const row = rounds[Math.min(round, rounds.length - 1)];
    const place = (call - 1) % width;
    return answer(row[place] ?? row[row.length - 1], place);
  };
}

async function warm(rounds: Cell[][], overrides: Partial<WarmupPolicy> = {}, deadlineInMs = 600_000) {
  const clock = new FakeClock();
  const started = clock.now();
  const roundStarts: number[] = [];
  const width = overrides.concurrency ?? policy.concurrency;
  const script = scripted(rounds, width);
  const http = fakeHttp(clock, (req, call) => {
    if ((call - 1) % width === 0) roundStarts.push(clock.now() - started);
    return script(req, call);
  });
  const report = await warmWorkers(http, clock, endpoint, request, { ...policy, ...overrides }, clock.now() + deadlineInMs);
  return { report, http, clock, roundStarts };
}

const status = (code: number, headers: Record<string, string> = {}): Partial<HttpResult> => ({ status: code, latencyMs: 3, headers });
const refused: Partial<HttpResult> = { status: undefined, latencyMs: 1, error: "connect ECONNREFUSED 10.0.1.5:80" };
/** A threaded server: every answer comes from one of `workers` processes, whichever request it is. */
const fromWorkers = (workers: number, latencyMs = 20) => (_req: HttpRequest, call: number): Partial<HttpResult> => ({ status: 200, latencyMs, headers: { "x-worker-id": `w${call % workers}` } });

describe("warmWorkers", () => {
  describe("latency", () => {
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

    test("GIVEN latencies that never settle WHEN the budget runs out THEN it reports incomplete within the budget", async () => {
      const { report } = await warm([[20, 20, 20, 900], [900, 20, 20, 20]], { maxRequests: 18 });
      expect(report.status).toBe("incomplete");
      expect(report.requests).toBe(16);
      expect(report.reason).toMatch(/request budget of 18 spent; 4 of 4 workers answered/);
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

  describe("a server that is not ready yet", () => {
    test("GIVEN a proxy answering 502 for four rounds while its app server starts WHEN warmed THEN it backs off and warms instead of failing", async () => {
      const { report, roundStarts } = await warm([[status(502)], [status(502)], [status(502)], [status(502)], [20, 20, 20, 20]]);
      expect(report).toMatchObject({ status: "warm", rounds: 6, failedRequests: 16 });
      expect(report.notReadyMs).toBeGreaterThanOrEqual(7_500);
      // Exponential backoff between failed rounds: 0.5, 1, 2, 4 s (plus each round's own 3 ms).
      expect(roundStarts.slice(1, 5).map((t, i) => t - roundStarts[i] - 3)).toEqual([500, 1_000, 2_000, 4_000]);
    });

    test("GIVEN an app answering 503 with Retry-After WHEN warmed THEN the pause honours it, capped at maxBackoffMs", async () => {
      const { report, roundStarts } = await warm([[status(503, { "retry-after": "3" })], [status(503, { "retry-after": "120" })], [20]]);
      expect(report.status).toBe("warm");
      expect(roundStarts[1] - roundStarts[0] - 3).toBe(3_000);
      expect(roundStarts[2] - roundStarts[1] - 3).toBe(5_000);
    });

    test("GIVEN refused connections and 504s WHEN they last longer than the window THEN the server is failing, with the window and last problem named", async () => {
      const { report, clock } = await warm([[refused, status(504)]], { notReadyWindowMs: 20_000 });
      expect(report.status).toBe("failing");
      expect(report.reason).toMatch(/kept failing for 2\d\.\d s \(window 20 s; last: not ready: connect ECONNREFUSED 10\.0\.1\.5:80, 4 of 4 requests failed\)/);
      expect(clock.now() - 1_700_000_000_000).toBeLessThan(30_000);
    });

    test("GIVEN a persistent 500 among good answers WHEN it lasts longer than the window THEN the server is failing, the error named over the not-ready answers", async () => {
      const { report } = await warm([[20, status(503), status(500), 20]], { notReadyWindowMs: 10_000 });
      expect(report.status).toBe("failing");
      expect(report.reason).toMatch(/last: error: HTTP 500, 2 of 4 requests failed/);
    });

    test("GIVEN one failed round among good ones WHEN warmed THEN the failure clock resets and warmup succeeds", async () => {
      const { report } = await warm([[20, 20, status(500), 20], [20, 20, 20, 20]]);
      expect(report).toMatchObject({ status: "warm", rounds: 3, failedRequests: 1 });
    });

    test("GIVEN a long start-up WHEN warmed THEN failed rounds do not spend the request budget", async () => {
      const starting = Array.from({ length: 12 }, () => [status(502)]);
      const { report } = await warm([...starting, [20]], { maxRequests: 8, notReadyWindowMs: 120_000 });
      expect(report).toMatchObject({ status: "warm", requests: 56 });
    });
  });

  describe("coverage", () => {
    async function warmThreaded(workersAnswering: number, overrides: Partial<WarmupPolicy> = {}) {
      const clock = new FakeClock();
      const http = fakeHttp(clock, fromWorkers(workersAnswering));
      return warmWorkers(http, clock, endpoint, request, { ...policy, ...overrides }, clock.now() + 600_000);
    }

    test("GIVEN a threaded server where 2 of 4 workers take every request WHEN warmed THEN it is incomplete, never warm, despite clean latencies", async () => {
      const report = await warmThreaded(2);
      // Rounds of 4, 8 and 16: the next, 32 wide, would pass the budget of 40.
      expect(report).toMatchObject({ status: "incomplete", rounds: 3, requests: 28, coverage: { mode: "worker-header", workersSeen: 2, workersExpected: 4 } });
      expect(report.reason).toMatch(/request budget of 40 spent; 2 of 4 workers answered/);
    });

    test("GIVEN workers that show up only in later rounds WHEN warmed THEN rounds widen until every expected worker has answered", async () => {
      const clock = new FakeClock();
      // The first 12 requests reach w0 and w1 only; later ones reach all four.
      const http = fakeHttp(clock, (_req, call) => ({ status: 200, latencyMs: 20, headers: { "x-worker-id": `w${call <= 12 ? call % 2 : call % 4}` } }));
      const report = await warmWorkers(http, clock, endpoint, request, { ...policy, maxRequests: 1_000 }, clock.now() + 600_000);
      // Rounds of 4 and 8 (both short of workers), then 16.
      expect(report).toMatchObject({ status: "warm", rounds: 3, requests: 28, coverage: { mode: "worker-header", workersSeen: 4, workersExpected: 4 } });
    });

    test("GIVEN workers that never all answer WHEN rounds widen THEN they stop at 16 requests per expected worker", async () => {
      const clock = new FakeClock();
      const http = fakeHttp(clock, fromWorkers(3));
      await warmWorkers(http, clock, endpoint, request, { ...policy, maxRequests: 200 }, clock.now() + 600_000);
      const widths = [4, 8, 16, 32, 64, 64];
      expect(http.calls).toHaveLength(widths.reduce((a, b) => a + b, 0));
    });

    test("GIVEN a server without the worker header WHEN the latency rule is met THEN it stops as incomplete, saying coverage is unverified", async () => {
      const { report } = await warm([[{ status: 200, latencyMs: 20 }]]);
      expect(report).toMatchObject({ status: "incomplete", rounds: 2, coverage: { mode: "latency-only", workersSeen: undefined, workersExpected: 4 } });
      expect(report.reason).toMatch(/without a cold response; coverage of the 4 expected workers unverified \(no response carried the x-worker-id header\)/);
    });

    test("GIVEN the header turned off WHEN warmed THEN it is latency-only and says why", async () => {
      const report = await warmThreaded(4, { workerIdHeader: undefined });
      expect(report).toMatchObject({ status: "incomplete", coverage: { mode: "latency-only" } });
      expect(report.reason).toMatch(/the worker header is turned off/);
    });
  });
});
