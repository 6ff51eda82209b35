// The request API logs through the shared JSON logger; this adds how it reports AWS errors.
export { Logger, jsonLogger } from "../shared/logger";

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
