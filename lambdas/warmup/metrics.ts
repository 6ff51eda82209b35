import { Coverage } from "./warmup";

/** Final result of one lifecycle event. */
export type Outcome = "warmed" | "prepared" | "incomplete" | "abandoned" | "skipped" | "ignored";

export interface WarmupMetrics {
  readonly outcome: Outcome;
  readonly destination: string;
  readonly durationMs: number;
  readonly requests: number;
  readonly rounds: number;
  readonly coldLatencyMs: number | undefined;
  readonly warmLatencyMs: number | undefined;
  readonly healthWaitMs: number;
  /** Present when the instance was warmed. */
  readonly coverage?: Coverage;
}

/**
 * A CloudWatch embedded-metric-format document: written to the log, it becomes metrics without
 * any PutMetricData call (which would need one more VPC endpoint).
 */
export function metricsDocument(namespace: string, groupName: string, m: WarmupMetrics, now = Date.now()): string {
  const values: Record<string, number> = {
    DurationMs: Math.round(m.durationMs),
    HealthWaitMs: Math.round(m.healthWaitMs),
    Requests: m.requests,
    Rounds: m.rounds,
    [`Outcome_${m.outcome}`]: 1,
  };
  if (m.coldLatencyMs !== undefined) values.ColdLatencyMs = Math.round(m.coldLatencyMs);
  if (m.warmLatencyMs !== undefined) values.WarmLatencyMs = Math.round(m.warmLatencyMs);
  Object.assign(values, coverageValues(m.coverage));
  const units: Record<string, string> = { Requests: "Count", Rounds: "Count", WorkersExpected: "Count", WorkersSeen: "Count", Coverage: "Percent", CoverageUnverified: "Count" };
  return JSON.stringify({
    _aws: {
      Timestamp: now,
      CloudWatchMetrics: [
        {
          Namespace: namespace,
          Dimensions: [["AutoScalingGroupName"], ["AutoScalingGroupName", "Destination"]],
          Metrics: Object.keys(values).map((Name) => ({ Name, Unit: units[Name] ?? (Name.startsWith("Outcome_") ? "Count" : "Milliseconds") })),
        },
      ],
    },
    AutoScalingGroupName: groupName,
    Destination: m.destination,
    Outcome: m.outcome,
    ...(m.coverage ? { CoverageMode: m.coverage.mode } : {}),
    ...values,
  });
}

/**
 * Coverage as metrics: distinct workers seen against those expected, or, without a worker header,
 * a CoverageUnverified count that an alarm or dashboard can show.
 */
function coverageValues(coverage: Coverage | undefined): Record<string, number> {
  if (coverage === undefined) return {};
  if (coverage.workersSeen === undefined) return { WorkersExpected: coverage.workersExpected, CoverageUnverified: 1 };
  return {
    WorkersExpected: coverage.workersExpected,
    WorkersSeen: coverage.workersSeen,
    Coverage: Math.round((100 * Math.min(coverage.workersSeen, coverage.workersExpected)) / coverage.workersExpected),
  };
}
