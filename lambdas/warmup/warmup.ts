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

export interface WarmupPolicy {
  /** Requests sent at once in each round; at least the number of worker processes. */
  readonly concurrency: number;
  /** Consecutive rounds without a cold-looking response needed to call the workers warm. */
  readonly cleanRounds: number;
  /** A response slower than coldFactor x warm latency (and warm + tolerance) counts as cold. */
  readonly coldFactor: number;
  readonly coldToleranceMs: number;
  /** Request budget. */
  readonly maxRequests: number;
  /** Consecutive rounds with failed requests before the server counts as failing. */
  readonly maxFailedRounds: number;
}

export type WarmupStatus = "warm" | "failing" | "incomplete";

export interface WarmupReport {
  readonly status: WarmupStatus;
  readonly reason: string;
  readonly rounds: number;
  readonly requests: number;
  readonly failedRequests: number;
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
 * response. Warmup ends after `cleanRounds` consecutive rounds in which every request succeeded
 * and none was slower than coldFactor x the warm latency (plus a tolerance). The warm latency is
 * the lowest round median so far, so every earlier round is judged again whenever a faster
 * round appears: a first round in which every worker was cold is never mistaken for warm.
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
  let requests = 0;
  let failedRequests = 0;
  let failedRoundsInARow = 0;
  let warmLatencyMs: number | undefined;

  const report = (status: WarmupStatus, reason: string): WarmupReport => {
    const sorted = [...latencies].sort((a, b) => a - b);
    return {
      status,
      reason,
      rounds: rounds.length,
      requests,
      failedRequests,
      warmLatencyMs,
      coldLatencyMs: sorted.length > 0 ? sorted[sorted.length - 1] : undefined,
      latencyMs:
        sorted.length > 0
          ? { p50: percentile(sorted, 50), p90: percentile(sorted, 90), p99: percentile(sorted, 99), max: sorted[sorted.length - 1] }
          : undefined,
    };
  };

  while (requests + policy.concurrency <= policy.maxRequests) {
    const remaining = deadline - clock.now();
    if (remaining <= 0) return report("incomplete", "deadline reached before the workers looked warm");
    const timeoutMs = Math.max(1, Math.min(request.requestTimeoutMs, remaining));
    const results = await Promise.all(
      Array.from({ length: policy.concurrency }, () =>
        http({ ...endpoint, path: request.path, method: request.method, body: request.body, contentType: request.contentType, timeoutMs }),
      ),
    );
    requests += results.length;
    const succeeded = results.filter(isSuccess).map((r) => r.latencyMs);
    latencies.push(...succeeded);
    failedRequests += results.length - succeeded.length;

    if (succeeded.length < results.length) {
      rounds.push({ ok: false, maxMs: Infinity, medianMs: Infinity });
      failedRoundsInARow += 1;
      if (failedRoundsInARow >= policy.maxFailedRounds) {
        const sample = results.find((r) => !isSuccess(r));
        const problem = sample?.status !== undefined ? `HTTP ${sample.status}` : (sample?.error ?? "no response");
        return report("failing", `server kept failing: ${failedRoundsInARow} rounds in a row had failed requests (last: ${problem})`);
      }
      continue;
    }
    failedRoundsInARow = 0;
    const sorted = [...succeeded].sort((a, b) => a - b);
    const round: Round = { ok: true, maxMs: sorted[sorted.length - 1], medianMs: percentile(sorted, 50) };
    rounds.push(round);
    warmLatencyMs = Math.min(warmLatencyMs ?? Infinity, round.medianMs);
    if (cleanStreak(rounds, warmLatencyMs, policy) >= policy.cleanRounds) {
      return report("warm", `${policy.cleanRounds} consecutive rounds of ${policy.concurrency} requests without a cold response`);
    }
  }
  return report("incomplete", `request budget of ${policy.maxRequests} spent before ${policy.cleanRounds} clean rounds in a row`);
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
