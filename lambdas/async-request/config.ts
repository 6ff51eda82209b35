import { ASYNC_REQUEST_ENV } from "../../modules/async-contract";

/** SNS refuses messages above 256 KiB (262,144 bytes), the compute event's envelope included. */
export const SNS_MAX_MESSAGE_BYTES = 262_144;

/** Bounds and defaults of the request function's settings (the construct validates the same). */
export const ASYNC_REQUEST_LIMITS = {
  maxBodyBytes: { default: 65_536, min: 1, max: SNS_MAX_MESSAGE_BYTES },
  resultTtlSeconds: { default: 604_800, min: 60, max: 31_536_000 },
  /** Timeout of one DynamoDB or SNS request; the SDK tries at most twice. Optional variable. */
  awsRequestTimeoutMs: { env: ASYNC_REQUEST_ENV.awsRequestTimeoutMs, default: 2_000, min: 100, max: 30_000 },
} as const;

export interface AsyncRequestConfig {
  readonly tableName: string;
  readonly topicArn: string;
  /** Largest accepted request body, in bytes, after base64 decoding. */
  readonly maxBodyBytes: number;
  /** How long a record (and its result) is kept: expiresAt = creation + this. */
  readonly resultTtlSeconds: number;
  readonly awsRequestTimeoutMs: number;
}

/** Thrown when the function's environment is wrong; names each variable and what it must be. */
export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`async-request Lambda configuration is invalid:\n- ${problems.join("\n- ")}`);
    this.name = "ConfigError";
  }
}

type Env = Readonly<Record<string, string | undefined>>;

const TABLE_NAME = /^[A-Za-z0-9_.-]{3,255}$/;
const TOPIC_ARN = /^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}$/;

/** Reads and validates the ASYNC_* environment; every problem is reported at once. */
export function loadConfig(env: Env): AsyncRequestConfig {
  const problems: string[] = [];
  const text = (name: string, pattern: RegExp, what: string): string => {
    const value = env[name];
    if (value === undefined || value === "") problems.push(`${name} is not set; it must be ${what}`);
    else if (!pattern.test(value)) problems.push(`${name}=${JSON.stringify(value)} must be ${what}`);
    return value ?? "";
  };
  const integer = (name: string, bounds: { readonly default: number; readonly min: number; readonly max: number }): number => {
    const raw = env[name];
    if (raw === undefined || raw === "") return bounds.default;
    const value = Number(raw);
    if (!Number.isInteger(value) || value < bounds.min || value > bounds.max) {
      problems.push(`${name}=${JSON.stringify(raw)} must be an integer from ${bounds.min} to ${bounds.max}`);
      return bounds.default;
    }
    return value;
  };
  const config: AsyncRequestConfig = {
    tableName: text(ASYNC_REQUEST_ENV.tableName, TABLE_NAME, "a DynamoDB table name (3-255 of A-Z a-z 0-9 _ . -)"),
    topicArn: text(ASYNC_REQUEST_ENV.topicArn, TOPIC_ARN, "the ARN of a standard SNS topic (arn:aws:sns:<region>:<account>:<name>)"),
    maxBodyBytes: integer(ASYNC_REQUEST_ENV.maxBodyBytes, ASYNC_REQUEST_LIMITS.maxBodyBytes),
    resultTtlSeconds: integer(ASYNC_REQUEST_ENV.resultTtlSeconds, ASYNC_REQUEST_LIMITS.resultTtlSeconds),
    awsRequestTimeoutMs: integer(ASYNC_REQUEST_LIMITS.awsRequestTimeoutMs.env, ASYNC_REQUEST_LIMITS.awsRequestTimeoutMs),
  };
  if (problems.length > 0) throw new ConfigError(problems);
  return config;
}
