/** Structured JSON log lines (the function's log format is JSON; CloudWatch parses them). */
export interface Logger {
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

export function jsonLogger(write: (line: string) => void, base: Record<string, unknown> = {}): Logger {
  const log = (level: string) => (message: string, fields: Record<string, unknown> = {}) =>
    write(JSON.stringify({ timestamp: new Date().toISOString(), level, message, ...base, ...fields }));
  return { info: log("INFO"), warn: log("WARN"), error: log("ERROR") };
}

/** Fields of an error worth logging: name, message, and the SDK's HTTP status and fault. */
export function errorFields(error: unknown): Record<string, unknown> {
  if (!(error instanceof Error)) return { error: String(error) };
  const sdk = error as Error & { $fault?: string; $metadata?: { httpStatusCode?: number }; code?: string };
  return {
    error: error.message,
    errorName: error.name,
    ...(sdk.code ? { errorCode: sdk.code } : {}),
    ...(sdk.$fault ? { fault: sdk.$fault } : {}),
    ...(sdk.$metadata?.httpStatusCode ? { httpStatus: sdk.$metadata.httpStatusCode } : {}),
  };
}
