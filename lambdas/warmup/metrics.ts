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
  const units: Record<string, string> = { Requests: "Count", Rounds: "Count" };
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
    ...values,
  });
}
