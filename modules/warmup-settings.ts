// The warmup Lambda's settings, each defined once: the WarmupHook prop that sets it, the WARMUP_*
// variable that carries it to the function, its default and what is allowed. WarmupHook validates
// its props and writes the function's environment from this table, the Lambda reads and checks its
// environment from it, and README's settings table is generated from it (npm run docs:props).
// Plain data without imports, because the Lambda bundle includes this file.

interface WarmupSettingBase {
  /** The WarmupHook prop that sets it; undefined when WarmupHook takes the value from the fleet. */
  readonly prop: string | undefined;
  /** The warmup function's environment variable. */
  readonly env: `WARMUP_${string}`;
  /** One line: what it does. */
  readonly description: string;
  /** How WarmupHook computes the value when the prop is unset, where that is not `default`. */
  readonly derived?: string;
}

export interface NumericWarmupSetting extends WarmupSettingBase {
  /** "number" admits fractions (a factor of 2.5); "integer" does not. */
  readonly type: "integer" | "number";
  /** What the Lambda uses when the variable is unset; undefined when it computes `derived` too. */
  readonly default: number | undefined;
  readonly min: number;
  readonly max: number;
  readonly unit?: string;
}

export interface TextWarmupSetting extends WarmupSettingBase {
  /** "path" must start with "/". */
  readonly type: "string" | "path";
  /** What the Lambda uses when the variable is unset; undefined: nothing. */
  readonly default: string | undefined;
}

export interface EnumWarmupSetting extends WarmupSettingBase {
  readonly type: "enum";
  /** The allowed values; the Lambda also accepts them in lower case. */
  readonly values: readonly string[];
  readonly default: string;
}

export type WarmupSetting = NumericWarmupSetting | TextWarmupSetting | EnumWarmupSetting;

/** Default round width per expected worker: idle cold workers get a fair chance to take a request. */
export const WARMUP_ROUND_WIDTH_PER_WORKER = 2;
/**
 * Default request budget, in first-round widths. A server that spreads fresh connections evenly is
 * covered in 2 to 3 rounds; threaded gunicorn with 32 workers took up to 25 round widths, rounds
 * widening, on loopback (README), and a warm request costs milliseconds, so the budget is generous.
 */
export const WARMUP_BUDGET_IN_ROUNDS = 50;

/**
 * Attribute names of the claims table (WarmupHook creates it, the warmup function takes leases in
 * it, WarmupReconciler reads them): the only key, and the epoch-seconds expiry that is its TTL.
 */
export const WARMUP_CLAIMS_ATTRIBUTES = { key: "pk", expiresAt: "expiresAt" } as const;

/** Every setting of the warmup Lambda, keyed by name (the prop's name where there is a prop). */
export const WARMUP_SETTINGS = {
  port: {
    prop: undefined,
    env: "WARMUP_PORT",
    type: "integer",
    default: 80,
    derived: "the fleet's appPort",
    min: 1,
    max: 65535,
    description: "The server's port on the instance.",
  },
  healthPath: {
    prop: "healthPath",
    env: "WARMUP_HEALTH_PATH",
    type: "path",
    default: "/health",
    description: "Health path of the server, answering 2xx once set-up is done.",
  },
  warmupPath: {
    prop: "warmupPath",
    env: "WARMUP_PATH",
    type: "path",
    default: "/predict",
    description: "Inference path the warmup requests call.",
  },
  method: {
    prop: "method",
    env: "WARMUP_METHOD",
    type: "enum",
    values: ["GET", "POST", "PUT"],
    default: "POST",
    description: "HTTP method of the warmup requests.",
  },
  body: {
    prop: "body",
    env: "WARMUP_BODY",
    type: "string",
    default: "{}",
    description: "Request body, inline; none with GET (setting one with GET is an error).",
  },
  bodyFile: {
    prop: "bodyFile",
    env: "WARMUP_BODY_FILE",
    type: "string",
    default: undefined,
    description: "A file inside the bundle sent as the body (WarmupHook ships the prop's file as payload/<name>); excludes body.",
  },
  contentType: {
    prop: "contentType",
    env: "WARMUP_CONTENT_TYPE",
    type: "string",
    default: "application/json",
    description: "Content type of the body.",
  },
  workers: {
    prop: undefined,
    env: "WARMUP_WORKERS",
    type: "integer",
    default: undefined,
    derived: "workersPerInstance when set; otherwise unset and read from the instance",
    min: 1,
    max: 1024,
    unit: "workers",
    description: "Worker processes to expect on every instance; when unset, one per vCPU of the launched instance (its CpuOptions).",
  },
  fallbackWorkers: {
    prop: undefined,
    env: "WARMUP_FALLBACK_WORKERS",
    type: "integer",
    default: 4,
    derived: "the vCPUs of the fleet's instance type, or workersPerInstance",
    min: 1,
    max: 1024,
    unit: "workers",
    description: "Workers to expect when the instance's CpuOptions are missing and WARMUP_WORKERS is unset.",
  },
  concurrency: {
    prop: "concurrency",
    env: "WARMUP_CONCURRENCY",
    type: "integer",
    default: undefined,
    derived: "2 x the instance's workers, at run time",
    min: 1,
    max: 4096,
    unit: "requests",
    description: "Requests per round, all at once on fresh connections; never fewer than the instance's workers. Rounds double, up to 16 per worker, while the worker header shows workers missing.",
  },
  cleanRounds: {
    prop: "cleanRounds",
    env: "WARMUP_CLEAN_ROUNDS",
    type: "integer",
    default: 2,
    min: 1,
    max: 20,
    unit: "rounds",
    description: "Consecutive rounds without a cold response that end warmup.",
  },
  coldFactor: {
    prop: "coldFactor",
    env: "WARMUP_COLD_FACTOR",
    type: "number",
    default: 3,
    min: 1.1,
    max: 100,
    unit: "times the warm latency",
    description: "A response slower than this multiple of the warm latency counts as cold...",
  },
  coldToleranceMs: {
    prop: "coldToleranceMs",
    env: "WARMUP_COLD_TOLERANCE_MS",
    type: "integer",
    default: 100,
    min: 0,
    max: 60_000,
    unit: "ms",
    description: "...and slower than the warm latency plus this.",
  },
  maxRequests: {
    prop: "maxRequests",
    env: "WARMUP_MAX_REQUESTS",
    type: "integer",
    default: undefined,
    derived: "50 x the first round's width, at run time",
    min: 1,
    max: 1_000_000,
    unit: "requests",
    description: "Request budget per instance, spent by rounds in which the server answered; never less than one round.",
  },
  notReadyWindowSeconds: {
    prop: "notReadyWindowSeconds",
    env: "WARMUP_NOT_READY_WINDOW_SECONDS",
    type: "integer",
    default: 300,
    min: 5,
    max: 3600,
    unit: "seconds",
    description: "How long warmup requests may keep failing (502/503/504, refused, reset, other errors) before the instance is abandoned.",
  },
  maxBackoffSeconds: {
    prop: "maxBackoffSeconds",
    env: "WARMUP_MAX_BACKOFF_SECONDS",
    type: "integer",
    default: 10,
    min: 1,
    max: 300,
    unit: "seconds",
    description: "Longest pause between failed rounds, a server's Retry-After included.",
  },
  workerIdHeader: {
    prop: "workerIdHeader",
    env: "WARMUP_WORKER_ID_HEADER",
    type: "string",
    default: "X-Worker-Id",
    description: "Response header naming the worker that answered; warm means every expected worker answered. Empty: latency rule only, never warm.",
  },
  requestTimeoutSeconds: {
    prop: "requestTimeoutSeconds",
    env: "WARMUP_REQUEST_TIMEOUT_SECONDS",
    type: "integer",
    default: 60,
    min: 1,
    max: 900,
    unit: "seconds",
    description: "Timeout of one warmup request, a model load included.",
  },
  healthRequestTimeoutSeconds: {
    prop: "healthRequestTimeoutSeconds",
    env: "WARMUP_HEALTH_TIMEOUT_SECONDS",
    type: "integer",
    default: 2,
    min: 1,
    max: 60,
    unit: "seconds",
    description: "Timeout of one health check.",
  },
  healthDeadlineSeconds: {
    prop: "healthDeadlineSeconds",
    env: "WARMUP_HEALTH_DEADLINE_SECONDS",
    type: "integer",
    default: 600,
    min: 1,
    max: 7200,
    unit: "seconds",
    description: "How long to wait for the health endpoint before the instance is abandoned.",
  },
  heartbeatIntervalSeconds: {
    prop: undefined,
    env: "WARMUP_HEARTBEAT_INTERVAL_SECONDS",
    type: "integer",
    default: 60,
    derived: "a third of the launch hook's heartbeat timeout, at least the minimum",
    min: 5,
    max: 3600,
    unit: "seconds",
    description: "Lifecycle heartbeats while waiting and warming.",
  },
  safetyMarginSeconds: {
    prop: "safetyMarginSeconds",
    env: "WARMUP_SAFETY_MARGIN_SECONDS",
    type: "integer",
    default: 10,
    min: 1,
    max: 300,
    unit: "seconds",
    description: "Time kept back before the function's timeout to complete the action.",
  },
  onIncomplete: {
    prop: "onIncomplete",
    env: "WARMUP_ON_INCOMPLETE",
    type: "enum",
    values: ["CONTINUE", "ABANDON"],
    default: "CONTINUE",
    description: "Result when the budget or time runs out before every expected worker answered warm (or, without the worker header, ever: then coverage is unverified).",
  },
  autoScalingGroupName: {
    prop: undefined,
    env: "WARMUP_AUTO_SCALING_GROUP_NAME",
    type: "string",
    default: undefined,
    derived: "the fleet's group name",
    description: "When set, events of other groups are ignored.",
  },
  claimsTable: {
    prop: undefined,
    env: "WARMUP_CLAIMS_TABLE",
    type: "string",
    default: undefined,
    derived: "the WarmupHook's claims table",
    description: "DynamoDB table of per-instance leases, so that an event and a reconciled run complete an instance once; unset: no leases.",
  },
  mode: {
    prop: undefined,
    env: "WARMUP_MODE",
    type: "enum",
    values: ["HTTP", "ECS_HOST"],
    default: "HTTP",
    derived: "ECS_HOST for a fleet of ECS hosts (WarmupHook mode)",
    description: "HTTP: wait for the server's health and warm its workers. ECS_HOST: wait for the host's ECS agent (or, into the warm pool, its host-ready tag); no HTTP.",
  },
  ecsCluster: {
    prop: undefined,
    env: "WARMUP_ECS_CLUSTER",
    type: "string",
    default: undefined,
    derived: "the ECS host fleet's cluster name",
    description: "Cluster the ECS hosts register with (ECS_HOST mode only).",
  },
  metricsNamespace: {
    prop: "metricsNamespace",
    env: "WARMUP_METRICS_NAMESPACE",
    type: "string",
    default: "Warmfleet/Warmup",
    description: "CloudWatch namespace of the embedded metrics.",
  },
  awsRequestTimeoutMs: {
    prop: "awsRequestTimeoutMs",
    env: "WARMUP_AWS_TIMEOUT_MS",
    type: "integer",
    default: 5000,
    min: 100,
    max: 60_000,
    unit: "ms",
    description: "Timeout of one EC2 / Auto Scaling API request.",
  },
} as const satisfies Readonly<Record<string, WarmupSetting>>;
