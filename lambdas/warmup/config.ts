import { readFileSync } from "node:fs";
import { join } from "node:path";
import { NumericWarmupSetting, TextWarmupSetting, WARMUP_BUDGET_IN_ROUNDS, WARMUP_ROUND_WIDTH_PER_WORKER, WARMUP_SETTINGS as S } from "../../modules/warmup-settings";
import { WarmupPolicy, WarmupRequest, WarmupRules } from "./warmup";

/** What to do when the request budget or the deadline runs out before the workers look warm. */
export enum IncompleteAction {
  CONTINUE = "CONTINUE",
  ABANDON = "ABANDON",
}

/** The function's settings: the warmup rules plus where and how to call the server. */
export interface WarmupConfig extends WarmupRules {
  /** Workers to expect on every instance; undefined: one per vCPU of the launched instance. */
  readonly workers: number | undefined;
  /** Workers to expect when neither `workers` nor the instance's CpuOptions say. */
  readonly fallbackWorkers: number;
  /** Requests per round; undefined: 2 x the instance's workers. */
  readonly concurrency: number | undefined;
  /** Request budget; undefined: 50 x the first round's width. */
  readonly maxRequests: number | undefined;
  readonly port: number;
  readonly healthPath: string;
  readonly warmupPath: string;
  readonly method: "GET" | "POST" | "PUT";
  readonly body: Buffer | undefined;
  readonly contentType: string;
  readonly requestTimeoutMs: number;
  readonly healthRequestTimeoutMs: number;
  readonly healthDeadlineMs: number;
  readonly heartbeatIntervalMs: number;
  readonly safetyMarginMs: number;
  readonly onIncomplete: IncompleteAction;
  /** When set, events of other groups are ignored. */
  readonly autoScalingGroupName: string | undefined;
  /** HTTP: warm the server's workers; ECS_HOST: wait for the host's ECS agent (lambdas/warmup/ecs-host.ts). */
  readonly mode: "HTTP" | "ECS_HOST";
  /** Cluster of the ECS hosts; set in ECS_HOST mode. */
  readonly ecsCluster: string | undefined;
  /** DynamoDB table of per-instance leases (lambdas/warmup/claim.ts); undefined: no leases. */
  readonly claimsTable: string | undefined;
  readonly metricsNamespace: string;
  /** Timeout of one EC2 / Auto Scaling API request (the SDK retries up to twice more). */
  readonly awsRequestTimeoutMs: number;
}

/** Thrown at cold start when the function's environment is wrong; names the variable and the fix. */
export class ConfigError extends Error {
  constructor(problems: string[]) {
    super(`warmup Lambda configuration is invalid:\n- ${problems.join("\n- ")}`);
    this.name = "ConfigError";
  }
}

type Env = Readonly<Record<string, string | undefined>>;

/** A setting the Lambda can fall back on by itself when its variable is unset. */
type WithDefault<Setting, Value> = Setting & { readonly default: Value };

/** Reads variables as the settings table (modules/warmup-settings.ts) names and bounds them. */
class Reader {
  readonly problems: string[] = [];
  constructor(private readonly env: Env) {}

  string(setting: WithDefault<TextWarmupSetting, string>): string {
    return this.optional(setting) ?? setting.default;
  }

  optional({ env }: { readonly env: string }): string | undefined {
    const value = this.env[env];
    return value === undefined || value === "" ? undefined : value;
  }

  number(setting: WithDefault<NumericWarmupSetting, number>): number {
    return this.optionalNumber(setting) ?? setting.default;
  }

  /** For a setting whose default is computed per instance (concurrency = 2 x its workers). */
  optionalNumber({ env, type, min, max }: NumericWarmupSetting): number | undefined {
    const raw = this.env[env];
    if (raw === undefined || raw === "") return undefined;
    const value = Number(raw);
    const integer = type === "integer";
    if (!Number.isFinite(value) || value < min || value > max || (integer && !Number.isInteger(value))) {
      this.problems.push(`${env}=${JSON.stringify(raw)} must be ${integer ? "an integer" : "a number"} from ${min} to ${max}`);
      return undefined;
    }
    return value;
  }

  oneOf<T extends string>(setting: { readonly env: string; readonly default: T; readonly values: readonly T[] }): T {
    const raw = (this.optional(setting) ?? setting.default).toUpperCase() as T;
    if (!setting.values.includes(raw)) {
      this.problems.push(`${setting.env}=${JSON.stringify(this.env[setting.env])} must be one of ${setting.values.join(", ")}`);
      return setting.default;
    }
    return raw;
  }

  /** A header name, lower-cased as Node reports response headers; empty (not unset) turns it off. */
  headerName(setting: WithDefault<TextWarmupSetting, string>): string | undefined {
    const value = (this.env[setting.env] ?? setting.default).trim();
    if (value === "") return undefined;
    if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(value)) this.problems.push(`${setting.env}=${JSON.stringify(value)} must be an HTTP header name, or empty to turn it off`);
    return value.toLowerCase();
  }

  path(setting: WithDefault<TextWarmupSetting, string>): string {
    const value = this.string(setting);
    if (!value.startsWith("/")) this.problems.push(`${setting.env}=${JSON.stringify(value)} must be an absolute path starting with /`);
    return value;
  }
}

/**
 * Reads and validates the WARMUP_* environment once, at cold start. Every problem is reported
 * at once, so a misconfigured deployment fails its first invocation with the whole list.
 */
export function loadConfig(env: Env, bundleDir: string): WarmupConfig {
  const r = new Reader(env);
  const method = r.oneOf(S.method);
  const config: WarmupConfig = {
    port: r.number(S.port),
    healthPath: r.path(S.healthPath),
    warmupPath: r.path(S.warmupPath),
    method,
    body: method === "GET" ? noBody(r) : readBody(r, bundleDir),
    contentType: r.string(S.contentType),
    workers: r.optionalNumber(S.workers),
    fallbackWorkers: r.number(S.fallbackWorkers),
    concurrency: r.optionalNumber(S.concurrency),
    maxRequests: r.optionalNumber(S.maxRequests),
    cleanRounds: r.number(S.cleanRounds),
    coldFactor: r.number(S.coldFactor),
    coldToleranceMs: r.number(S.coldToleranceMs),
    notReadyWindowMs: r.number(S.notReadyWindowSeconds) * 1000,
    maxBackoffMs: r.number(S.maxBackoffSeconds) * 1000,
    workerIdHeader: r.headerName(S.workerIdHeader),
    requestTimeoutMs: r.number(S.requestTimeoutSeconds) * 1000,
    healthRequestTimeoutMs: r.number(S.healthRequestTimeoutSeconds) * 1000,
    healthDeadlineMs: r.number(S.healthDeadlineSeconds) * 1000,
    heartbeatIntervalMs: r.number(S.heartbeatIntervalSeconds) * 1000,
    safetyMarginMs: r.number(S.safetyMarginSeconds) * 1000,
    // The enum's keys are its values, so the checked string picks the member.
    onIncomplete: IncompleteAction[r.oneOf(S.onIncomplete)],
    autoScalingGroupName: r.optional(S.autoScalingGroupName),
    mode: r.oneOf(S.mode),
    ecsCluster: r.optional(S.ecsCluster),
    claimsTable: r.optional(S.claimsTable),
    metricsNamespace: r.string(S.metricsNamespace),
    awsRequestTimeoutMs: r.number(S.awsRequestTimeoutMs),
  };
  if (config.mode === "ECS_HOST" && config.ecsCluster === undefined) r.problems.push(`${S.mode.env}=ECS_HOST needs ${S.ecsCluster.env}, the cluster the hosts join`);
  if (r.problems.length > 0) throw new ConfigError(r.problems);
  return config;
}

/**
 * The round width and budget for an instance with this many workers: as configured, but never a
 * round narrower than the workers (it could leave some cold) nor a budget below one round.
 */
export function warmupPolicyFor(config: WarmupConfig, expectedWorkers: number): WarmupPolicy {
  const concurrency = Math.max(config.concurrency ?? WARMUP_ROUND_WIDTH_PER_WORKER * expectedWorkers, expectedWorkers);
  const maxRequests = Math.max(config.maxRequests ?? WARMUP_BUDGET_IN_ROUNDS * concurrency, concurrency);
  return { ...config, concurrency, maxRequests, expectedWorkers };
}

/** The request warmup sends, as the configuration describes it. */
export function warmupRequestOf(config: WarmupConfig): WarmupRequest {
  return { path: config.warmupPath, method: config.method, body: config.body, contentType: config.contentType, requestTimeoutMs: config.requestTimeoutMs };
}

function noBody(r: Reader): undefined {
  if (r.optional(S.body) !== undefined || r.optional(S.bodyFile) !== undefined) {
    r.problems.push(`${S.method.env}=GET sends no body; unset ${S.body.env} and ${S.bodyFile.env}, or use POST`);
  }
  return undefined;
}

function readBody(r: Reader, bundleDir: string): Buffer | undefined {
  const inline = r.optional(S.body);
  const file = r.optional(S.bodyFile);
  if (inline !== undefined && file !== undefined) {
    r.problems.push(`${S.body.env} and ${S.bodyFile.env} are both set; set only one`);
    return undefined;
  }
  if (file === undefined) return Buffer.from(inline ?? S.body.default, "utf8");
  if (file.includes("..") || file.startsWith("/")) {
    r.problems.push(`${S.bodyFile.env}=${JSON.stringify(file)} must be a path inside the bundle, without ..`);
    return undefined;
  }
  try {
    return readFileSync(join(bundleDir, file));
  } catch (error) {
    r.problems.push(`${S.bodyFile.env}=${JSON.stringify(file)} cannot be read from the bundle: ${(error as Error).message}`);
    return undefined;
  }
}
