/** Structured JSON log lines (every function's log format is JSON, so CloudWatch parses them). */
export interface Logger {
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
  /** A line written as is: used for embedded-metric-format documents. */
  raw(line: string): void;
}

export function jsonLogger(write: (line: string) => void, base: Record<string, unknown> = {}): Logger {
  const log = (level: string) => (message: string, fields: Record<string, unknown> = {}) =>
    write(JSON.stringify({ timestamp: new Date().toISOString(), level, message, ...base, ...fields }));
  return { info: log("INFO"), warn: log("WARN"), error: log("ERROR"), raw: write };
}
