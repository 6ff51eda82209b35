import { Clock } from "./clock";
import { HttpClient } from "./http";

export interface Endpoint {
  readonly host: string;
  readonly port: number;
}

export interface HealthWait {
  readonly healthy: boolean;
  readonly attempts: number;
  readonly waitedMs: number;
  readonly lastProblem?: string;
}

const FIRST_RETRY_MS = 500;
const MAX_RETRY_MS = 5_000;

/**
 * Polls the server's own health endpoint until it answers 2xx: that is the moment its set-up is
 * done, minutes before EC2 status checks would say so. Exponential backoff from 0.5 s to 5 s,
 * each request bounded by its timeout and by the deadline, which is never passed.
 */
export async function waitForHealth(
  http: HttpClient,
  clock: Clock,
  endpoint: Endpoint,
  path: string,
  requestTimeoutMs: number,
  deadline: number,
): Promise<HealthWait> {
  const started = clock.now();
  let attempts = 0;
  let delay = FIRST_RETRY_MS;
  let lastProblem: string | undefined;
  while (clock.now() < deadline) {
    attempts += 1;
    const timeoutMs = Math.max(1, Math.min(requestTimeoutMs, deadline - clock.now()));
    const result = await http({ ...endpoint, path, method: "GET", timeoutMs });
    if (result.status !== undefined && result.status >= 200 && result.status < 300) {
      return { healthy: true, attempts, waitedMs: clock.now() - started };
    }
    lastProblem = result.status !== undefined ? `HTTP ${result.status}` : (result.error ?? "no response");
    const pause = Math.min(delay, deadline - clock.now());
    if (pause <= 0) break;
    await clock.sleep(pause);
    delay = Math.min(delay * 2, MAX_RETRY_MS);
  }
  return { healthy: false, attempts, waitedMs: clock.now() - started, lastProblem };
}
