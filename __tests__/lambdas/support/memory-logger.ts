import { Logger } from "../../../lambdas/shared/logger";

/** A Logger that keeps what it is given, for assertions. */
export function memoryLogger(): Logger & { lines: Record<string, unknown>[]; raws: string[] } {
  const lines: Record<string, unknown>[] = [];
  const raws: string[] = [];
  const log = (level: string) => (message: string, fields: Record<string, unknown> = {}) => lines.push({ level, message, ...fields });
  return { info: log("INFO"), warn: log("WARN"), error: log("ERROR"), raw: (line) => raws.push(line), lines, raws };
}
