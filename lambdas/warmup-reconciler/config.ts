/** The reconciler's settings, from its environment (WarmupReconciler writes every one). */
export interface ReconcilerConfig {
  readonly autoScalingGroupName: string;
  readonly lifecycleHookName: string;
  /** Name or ARN of the warmup function the reconciler invokes. */
  readonly warmupFunctionName: string;
  readonly claimsTable: string;
  readonly deadLetterQueueUrl: string;
  /** How long an instance may wait without a lease before the reconciler runs warmup for it. */
  readonly stuckAfterMs: number;
  readonly metricsNamespace: string;
  /** Timeout of one AWS API request. */
  readonly awsRequestTimeoutMs: number;
}

type Env = Readonly<Record<string, string | undefined>>;

/** Thrown at cold start when the environment is wrong; lists every problem. */
export class ReconcilerConfigError extends Error {
  constructor(problems: readonly string[]) {
    super(`warmup reconciler configuration is invalid:\n- ${problems.join("\n- ")}`);
    this.name = "ReconcilerConfigError";
  }
}

export const RECONCILER_ENV = {
  autoScalingGroupName: "RECONCILER_AUTO_SCALING_GROUP_NAME",
  lifecycleHookName: "RECONCILER_LIFECYCLE_HOOK_NAME",
  warmupFunctionName: "RECONCILER_WARMUP_FUNCTION_NAME",
  claimsTable: "RECONCILER_CLAIMS_TABLE",
  deadLetterQueueUrl: "RECONCILER_DEAD_LETTER_QUEUE_URL",
  stuckAfterSeconds: "RECONCILER_STUCK_AFTER_SECONDS",
  metricsNamespace: "RECONCILER_METRICS_NAMESPACE",
  awsRequestTimeoutMs: "RECONCILER_AWS_TIMEOUT_MS",
} as const;

export function loadReconcilerConfig(env: Env): ReconcilerConfig {
  const problems: string[] = [];
  const required = (name: string): string => {
    const value = env[name];
    if (value === undefined || value === "") problems.push(`${name} is not set`);
    return value ?? "";
  };
  const integer = (name: string, fallback: number, min: number, max: number): number => {
    const raw = env[name];
    if (raw === undefined || raw === "") return fallback;
    const value = Number(raw);
    if (!Number.isInteger(value) || value < min || value > max) {
      problems.push(`${name}=${JSON.stringify(raw)} must be an integer from ${min} to ${max}`);
      return fallback;
    }
    return value;
  };
  const E = RECONCILER_ENV;
  const config: ReconcilerConfig = {
    autoScalingGroupName: required(E.autoScalingGroupName),
    lifecycleHookName: required(E.lifecycleHookName),
    warmupFunctionName: required(E.warmupFunctionName),
    claimsTable: required(E.claimsTable),
    deadLetterQueueUrl: required(E.deadLetterQueueUrl),
    stuckAfterMs: integer(E.stuckAfterSeconds, 120, 0, 7200) * 1000,
    metricsNamespace: env[E.metricsNamespace] || "Warmfleet/Warmup",
    awsRequestTimeoutMs: integer(E.awsRequestTimeoutMs, 5000, 100, 60_000),
  };
  if (problems.length > 0) throw new ReconcilerConfigError(problems);
  return config;
}
