import { readFileSync } from "node:fs";
import { join } from "node:path";
import { WarmupPolicy, WarmupRequest } from "./warmup";

/** What to do when the request budget or the deadline runs out before the workers look warm. */
export enum IncompleteAction {
  CONTINUE = "CONTINUE",
  ABANDON = "ABANDON",
}

/** The function's settings: the warmup policy plus where and how to call the server. */
export interface WarmupConfig extends WarmupPolicy {
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

class Reader {
  readonly problems: string[] = [];
  constructor(private readonly env: Env) {}

  string(name: string, fallback: string): string {
    const value = this.env[name];
    return value === undefined || value === "" ? fallback : value;
  }

  optional(name: string): string | undefined {
    const value = this.env[name];
    return value === undefined || value === "" ? undefined : value;
  }

  number(name: string, fallback: number, min: number, max: number, integer = true): number {
    const raw = this.env[name];
    if (raw === undefined || raw === "") return fallback;
    const value = Number(raw);
    if (!Number.isFinite(value) || value < min || value > max || (integer && !Number.isInteger(value))) {
      this.problems.push(`${name}=${JSON.stringify(raw)} must be ${integer ? "an integer" : "a number"} from ${min} to ${max}`);
      return fallback;
    }
    return value;
  }

  oneOf<T extends string>(name: string, fallback: T, allowed: readonly T[]): T {
    const raw = this.string(name, fallback).toUpperCase() as T;
    if (!allowed.includes(raw)) {
      this.problems.push(`${name}=${JSON.stringify(this.env[name])} must be one of ${allowed.join(", ")}`);
      return fallback;
    }
    return raw;
  }

  path(name: string, fallback: string): string {
    const value = this.string(name, fallback);
    if (!value.startsWith("/")) this.problems.push(`${name}=${JSON.stringify(value)} must be an absolute path starting with /`);
    return value;
  }
}

/**
 * Reads and validates the WARMUP_* environment once, at cold start. Every problem is reported
 * at once, so a misconfigured deployment fails its first invocation with the whole list.
 */
export function loadConfig(env: Env, bundleDir: string): WarmupConfig {
  const r = new Reader(env);
  const concurrency = r.number("WARMUP_CONCURRENCY", 8, 1, 1024);
  const method = r.oneOf("WARMUP_METHOD", "POST", ["GET", "POST", "PUT"] as const);
  const config: WarmupConfig = {
    port: r.number("WARMUP_PORT", 80, 1, 65535),
    healthPath: r.path("WARMUP_HEALTH_PATH", "/health"),
    warmupPath: r.path("WARMUP_PATH", "/predict"),
    method,
    body: method === "GET" ? noBody(r) : readBody(r, bundleDir),
    contentType: r.string("WARMUP_CONTENT_TYPE", "application/json"),
    concurrency,
    cleanRounds: r.number("WARMUP_CLEAN_ROUNDS", 2, 1, 20),
    coldFactor: r.number("WARMUP_COLD_FACTOR", 3, 1.1, 100, false),
    coldToleranceMs: r.number("WARMUP_COLD_TOLERANCE_MS", 100, 0, 60_000),
    maxRequests: r.number("WARMUP_MAX_REQUESTS", concurrency * 10, 1, 1_000_000),
    maxFailedRounds: r.number("WARMUP_MAX_FAILED_ROUNDS", 3, 1, 100),
    requestTimeoutMs: r.number("WARMUP_REQUEST_TIMEOUT_SECONDS", 60, 1, 900) * 1000,
    healthRequestTimeoutMs: r.number("WARMUP_HEALTH_TIMEOUT_SECONDS", 2, 1, 60) * 1000,
    healthDeadlineMs: r.number("WARMUP_HEALTH_DEADLINE_SECONDS", 600, 1, 7200) * 1000,
    heartbeatIntervalMs: r.number("WARMUP_HEARTBEAT_INTERVAL_SECONDS", 60, 5, 3600) * 1000,
    safetyMarginMs: r.number("WARMUP_SAFETY_MARGIN_SECONDS", 10, 1, 300) * 1000,
    onIncomplete: r.oneOf("WARMUP_ON_INCOMPLETE", IncompleteAction.CONTINUE, [IncompleteAction.CONTINUE, IncompleteAction.ABANDON]),
    autoScalingGroupName: r.optional("WARMUP_AUTO_SCALING_GROUP_NAME"),
    metricsNamespace: r.string("WARMUP_METRICS_NAMESPACE", "Warmfleet/Warmup"),
    awsRequestTimeoutMs: r.number("WARMUP_AWS_TIMEOUT_MS", 5_000, 100, 60_000),
  };
  if (r.problems.length > 0) throw new ConfigError(r.problems);
  return config;
}

/** The request warmup sends, as the configuration describes it. */
export function warmupRequestOf(config: WarmupConfig): WarmupRequest {
  return { path: config.warmupPath, method: config.method, body: config.body, contentType: config.contentType, requestTimeoutMs: config.requestTimeoutMs };
}

function noBody(r: Reader): undefined {
  if (r.optional("WARMUP_BODY") !== undefined || r.optional("WARMUP_BODY_FILE") !== undefined) {
    r.problems.push("WARMUP_METHOD=GET sends no body; unset WARMUP_BODY and WARMUP_BODY_FILE, or use POST");
  }
  return undefined;
}

function readBody(r: Reader, bundleDir: string): Buffer | undefined {
  const inline = r.optional("WARMUP_BODY");
  const file = r.optional("WARMUP_BODY_FILE");
  if (inline !== undefined && file !== undefined) {
    r.problems.push("WARMUP_BODY and WARMUP_BODY_FILE are both set; set only one");
    return undefined;
  }
  if (file === undefined) return Buffer.from(inline ?? "{}", "utf8");
  if (file.includes("..") || file.startsWith("/")) {
    r.problems.push(`WARMUP_BODY_FILE=${JSON.stringify(file)} must be a path inside the bundle, without ..`);
    return undefined;
  }
  try {
    return readFileSync(join(bundleDir, file));
  } catch (error) {
    r.problems.push(`WARMUP_BODY_FILE=${JSON.stringify(file)} cannot be read from the bundle: ${(error as Error).message}`);
    return undefined;
  }
}
