import { Clock } from "./clock";
import { HttpClient, HttpResult } from "./http";
import { Endpoint } from "./readiness";

export interface WarmupRequest {
  readonly path: string;
  readonly method: string;
  readonly body: Buffer | undefined;
  readonly contentType: string;
  readonly requestTimeoutMs: number;
}

/** How warmup judges the server; the same for every instance. */
export interface WarmupRules {
  /** Consecutive rounds without a cold-looking response needed to call the workers warm. */
  readonly cleanRounds: number;
  /** A response slower than coldFactor x warm latency (and warm + tolerance) counts as cold. */
  readonly coldFactor: number;
  readonly coldToleranceMs: number;
  /** How long rounds with failed requests may go on before the server counts as failing. */
  readonly notReadyWindowMs: number;
  /** Longest pause between failed rounds, a Retry-After included. */
  readonly maxBackoffMs: number;
  /** Lower-case response header naming the worker that answered; undefined: not observable. */
  readonly workerIdHeader: string | undefined;
}

/** The rules plus what depends on the instance: its workers, the round width and the budget. */
export interface WarmupPolicy extends WarmupRules {
  /** Requests sent at once in a round; at least the number of worker processes. Rounds widen from it while the worker header shows workers missing. */
  readonly concurrency: number;
  /** Request budget, spent by rounds the server answered in full. */
  readonly maxRequests: number;
  /** Distinct workers that must answer before the instance counts as warm. */
  readonly expectedWorkers: number;
}

export type WarmupStatus = "warm" | "failing" | "incomplete";

/**
 * How coverage was judged: "worker-header" counts the distinct workers named by the header;
 * "latency-only" had no such header, so it cannot tell whether every worker answered.
 */
export type CoverageMode = "worker-header" | "latency-only";

export interface Coverage {
  readonly mode: CoverageMode;
  /** Distinct workers that answered 2xx; undefined in latency-only mode. */
  readonly workersSeen: number | undefined;
  readonly workersExpected: number;
}

export interface WarmupReport {
  readonly status: WarmupStatus;
  readonly reason: string;
  readonly rounds: number;
  readonly requests: number;
  readonly failedRequests: number;
  /** Time spent in rounds with failed requests and the pauses after them. */
  readonly notReadyMs: number;
  readonly coverage: Coverage;
  /** Estimated latency of a warm worker: the lowest round median seen. */
  readonly warmLatencyMs: number | undefined;
  /** Slowest successful response: what a user would have waited for a cold worker. */
  readonly coldLatencyMs: number | undefined;
  readonly latencyMs: { readonly p50: number; readonly p90: number; readonly p99: number; readonly max: number } | undefined;
}

interface Round {
  readonly ok: boolean;
  readonly maxMs: number;
  readonly medianMs: number;
}

const FIRST_BACKOFF_MS = 500;
/** Widest round, in requests per expected worker, when rounds widen to reach missing workers. */
const MAX_WIDTH_PER_WORKER = 16;
const MAX_WIDTH = 4096;
/** Statuses a server gives while it starts: a proxy before its app server, an app loading its model. */
const NOT_READY_STATUSES = new Set([502, 503, 504]);

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index];
}

function isSuccess(r: HttpResult): boolean {
  return r.status !== undefined && r.status >= 200 && r.status < 300;
}

/**
 * Warms every worker process of the server.
 *
 * A server with N workers that each load a model on their first request cannot be warmed by a
 * fixed number of requests: a worker that never accepts a connection during warmup stays cold.
 * So requests go out in rounds, each `concurrency` wide (at least N) on fresh connections, all at
 * once: idle cold workers pick them up alongside warm ones, and a cold one shows as a slow
 * response. The warm latency is the lowest round median so far, so every earlier round is judged
 * again whenever a faster round appears: a first round in which every worker was cold is never
 * mistaken for warm.
 *
 * Warm needs both: `cleanRounds` consecutive rounds in which every request succeeded and none was
 * slower than coldFactor x the warm latency (plus a tolerance), and `expectedWorkers` distinct
 * workers named by the worker header (a worker that answered an inference has its model). Latency
 * alone cannot see a worker that never got a request (threaded servers, keep-alive proxies), so
 * without the header the best outcome is "incomplete", stated as latency-only coverage.
 *
 * Failed requests mean "not ready yet" for a while: a proxy answering 502 before its app server
 * is up, an app answering 503 while it loads. Rounds pause with exponential backoff (or the
 * server's Retry-After), and the server counts as failing only after `notReadyWindowMs` of
 * uninterrupted failures.
 */
export async function warmWorkers(
  http: HttpClient,
  clock: Clock,
  endpoint: Endpoint,
  request: WarmupRequest,
  policy: WarmupPolicy,
  deadline: number,
): Promise<WarmupReport> {
  const rounds: Round[] = [];
  const latencies: number[] = [];
  const workers = new Set<string>();
  let headerSeen = false;
  let requests = 0;
  let spent = 0;
  let failedRequests = 0;
  let notReadyMs = 0;
  let failingSince: number | undefined;
  let backoffMs = FIRST_BACKOFF_MS;
  let warmLatencyMs: number | undefined;
  let width = policy.concurrency;
  const widest = Math.min(MAX_WIDTH, Math.max(policy.concurrency, MAX_WIDTH_PER_WORKER * policy.expectedWorkers));

  const coverage = (): Coverage =>
    headerSeen
      ? { mode: "worker-header", workersSeen: workers.size, workersExpected: policy.expectedWorkers }
      : { mode: "latency-only", workersSeen: undefined, workersExpected: policy.expectedWorkers };
  const report = (status: WarmupStatus, reason: string): WarmupReport => {
    const sorted = [...latencies].sort((a, b) => a - b);
    return {
      status,
      reason,
      rounds: rounds.length,
      requests,
      failedRequests,
      notReadyMs,
      coverage: coverage(),
      warmLatencyMs,
      coldLatencyMs: sorted.length > 0 ? sorted[sorted.length - 1] : undefined,
      latencyMs:
        sorted.length > 0
          ? { p50: percentile(sorted, 50), p90: percentile(sorted, 90), p99: percentile(sorted, 99), max: sorted[sorted.length - 1] }
          : undefined,
    };
  };
  const incomplete = (why: string) => report("incomplete", `${why}; ${coverageText(coverage(), policy.workerIdHeader)}`);

  for (;;) {
    const remaining = deadline - clock.now();
    if (remaining <= 0) return incomplete("deadline reached before the instance looked warm");
    if (spent + width > policy.maxRequests) return incomplete(`request budget of ${policy.maxRequests} spent`);
    const roundStarted = clock.now();
    const timeoutMs = Math.max(1, Math.min(request.requestTimeoutMs, remaining));
    const results = await Promise.all(
      Array.from({ length: width }, () =>
        http({ ...endpoint, path: request.path, method: request.method, body: request.body, contentType: request.contentType, timeoutMs }),
      ),
    );
    requests += results.length;
    const succeeded = results.filter(isSuccess);
    latencies.push(...succeeded.map((r) => r.latencyMs));
    for (const id of succeeded.map((r) => workerIdOf(r, policy.workerIdHeader))) {
      if (id === undefined) continue;
      headerSeen = true;
      workers.add(id);
    }
    failedRequests += results.length - succeeded.length;

    if (succeeded.length < results.length) {
      rounds.push({ ok: false, maxMs: Infinity, medianMs: Infinity });
      failingSince ??= roundStarted;
      const failing = failureOf(results);
      if (clock.now() - failingSince >= policy.notReadyWindowMs) {
        notReadyMs += clock.now() - roundStarted;
        return report("failing", `warmup requests kept failing for ${seconds(clock.now() - failingSince)} (window ${seconds(policy.notReadyWindowMs)}; last: ${failing.problem})`);
      }
      const pause = Math.min(Math.max(backoffMs, failing.retryAfterMs ?? 0), policy.maxBackoffMs, deadline - clock.now());
      if (pause > 0) await clock.sleep(pause);
      notReadyMs += clock.now() - roundStarted;
      backoffMs = Math.min(backoffMs * 2, policy.maxBackoffMs);
      continue;
    }
    failingSince = undefined;
    backoffMs = FIRST_BACKOFF_MS;
    spent += results.length;
    const sorted = succeeded.map((r) => r.latencyMs).sort((a, b) => a - b);
    const round: Round = { ok: true, maxMs: sorted[sorted.length - 1], medianMs: percentile(sorted, 50) };
    rounds.push(round);
    warmLatencyMs = Math.min(warmLatencyMs ?? Infinity, round.medianMs);
    const covered = workers.size >= policy.expectedWorkers;
    if (cleanStreak(rounds, warmLatencyMs, policy) >= policy.cleanRounds) {
      if (!headerSeen) return incomplete(`${policy.cleanRounds} consecutive rounds without a cold response`);
      if (covered) return report("warm", `${workers.size} of ${policy.expectedWorkers} workers answered and ${policy.cleanRounds} consecutive rounds had no cold response`);
    }
    // Threaded workers accept many connections each, so the workers that answer fastest take most
    // of a round. A round well beyond the workers' threads reaches the others in one or two
    // rounds where a round twice the workers took up to 19 (measured: README). Once every worker
    // has answered, rounds narrow again: a wide round queues, and queueing looks like a cold worker.
    width = headerSeen && !covered ? Math.min(widest, width * 2) : policy.concurrency;
  }
}

function coverageText(coverage: Coverage, header: string | undefined): string {
  if (coverage.mode === "worker-header") return `${coverage.workersSeen} of ${coverage.workersExpected} workers answered`;
  const why = header === undefined ? "the worker header is turned off" : `no response carried the ${header} header`;
  return `coverage of the ${coverage.workersExpected} expected workers unverified (${why}): latency alone cannot see a worker that got no request`;
}

function workerIdOf(result: HttpResult, header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  const value = result.headers?.[header];
  const id = Array.isArray(value) ? value[0] : value;
  return id === undefined || id === "" ? undefined : id;
}

/** What went wrong in a round, and the longest Retry-After (in seconds or as a date) it asked for. */
function failureOf(results: readonly HttpResult[]): { problem: string; retryAfterMs: number | undefined } {
  const failed = results.filter((r) => !isSuccess(r));
  // A real error (400, 500) says more than a "not ready" answer from the same round.
  const sample = failed.find((r) => r.status !== undefined && !NOT_READY_STATUSES.has(r.status)) ?? failed[0];
  const kind = sample.status === undefined || NOT_READY_STATUSES.has(sample.status) ? "not ready" : "error";
  const problem = `${kind}: ${sample.status !== undefined ? `HTTP ${sample.status}` : (sample.error ?? "no response")}, ${failed.length} of ${results.length} requests failed`;
  const waits = failed.map((r) => retryAfterMs(r.headers?.["retry-after"])).filter((ms): ms is number => ms !== undefined);
  return { problem, retryAfterMs: waits.length > 0 ? Math.max(...waits) : undefined };
}

function retryAfterMs(value: string | string[] | undefined): number | undefined {
  const text = Array.isArray(value) ? value[0] : value;
  if (text === undefined || text.trim() === "") return undefined;
  if (/^\d+$/.test(text.trim())) return Number(text.trim()) * 1000;
  const date = Date.parse(text);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}

function seconds(ms: number): string {
  return `${Math.round(ms / 100) / 10} s`;
}

function coldThreshold(warmLatencyMs: number, policy: WarmupPolicy): number {
  return Math.max(policy.coldFactor * warmLatencyMs, warmLatencyMs + policy.coldToleranceMs);
}

function cleanStreak(rounds: readonly Round[], warmLatencyMs: number, policy: WarmupPolicy): number {
  const threshold = coldThreshold(warmLatencyMs, policy);
  let streak = 0;
  for (let i = rounds.length - 1; i >= 0 && rounds[i].ok && rounds[i].maxMs <= threshold; i--) streak += 1;
  return streak;
}
