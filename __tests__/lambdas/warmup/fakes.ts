export { memoryLogger } from "../support/memory-logger";
import { Clock } from "../../../lambdas/warmup/clock";
import { HttpClient, HttpRequest, HttpResult } from "../../../lambdas/warmup/http";

/** A clock whose time moves only when the code under test sleeps or a fake says so. */
export class FakeClock implements Clock {
  private time = 1_700_000_000_000;
  private readonly intervals: { every: number; next: number; fn: () => void; active: boolean }[] = [];

  now(): number {
    return this.time;
  }

  async sleep(ms: number): Promise<void> {
    this.advance(ms);
    await Promise.resolve();
  }

  every(ms: number, fn: () => void): () => void {
    const interval = { every: ms, next: this.time + ms, fn, active: true };
    this.intervals.push(interval);
    return () => {
      interval.active = false;
    };
  }

  advance(ms: number): void {
    const target = this.time + Math.max(0, ms);
    for (;;) {
      const due = this.intervals.filter((i) => i.active && i.next <= target).sort((a, b) => a.next - b.next)[0];
      if (!due) break;
      this.time = due.next;
      due.next += due.every;
      due.fn();
    }
    this.time = target;
  }
}

/**
 * HTTP fake: `respond` decides each request's status and latency (capped by the request's
 * timeout); the clock advances by the slowest request of each batch of concurrent calls.
 */
export function fakeHttp(clock: FakeClock, respond: (req: HttpRequest, call: number) => Partial<HttpResult>): HttpClient & { calls: HttpRequest[] } {
  const calls: HttpRequest[] = [];
  let pending: number[] = [];
  const client = (async (req: HttpRequest) => {
    calls.push(req);
    const scripted = { status: 200, latencyMs: 5, ...respond(req, calls.length) };
    // Like the real client: a request slower than its timeout ends at the timeout, without a status.
    const result = scripted.latencyMs > req.timeoutMs ? { status: undefined, latencyMs: req.timeoutMs, error: `timed out after ${req.timeoutMs} ms` } : scripted;
    pending.push(result.latencyMs);
    await Promise.resolve();
    if (pending.length > 0) {
      clock.advance(Math.max(...pending));
      pending = [];
    }
    return result as HttpResult;
  }) as HttpClient & { calls: HttpRequest[] };
  client.calls = calls;
  return client;
}

export function lifecycleEvent(detail: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    version: "0",
    id: "6a7e8feb-b491-4cf7-a9f1-bf3703467718",
    "detail-type": "EC2 Instance-launch Lifecycle Action",
    source: "aws.autoscaling",
    account: "123456789012",
    time: "2026-11-23T00:00:00Z",
    region: "us-east-1",
    resources: ["arn:aws:autoscaling:us-east-1:123456789012:autoScalingGroup:uuid:autoScalingGroupName/fleet"],
    detail: {
      LifecycleActionToken: "c613620e-07e2-4ed2-a9e2-ef8258911ade",
      AutoScalingGroupName: "fleet",
      LifecycleHookName: "fleet-launch",
      EC2InstanceId: "i-0123456789abcdef0",
      LifecycleTransition: "autoscaling:EC2_INSTANCE_LAUNCHING",
      ...detail,
    },
  };
}
