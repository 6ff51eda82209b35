import { systemClock } from "./clock";
import { createClients } from "./clients";
import { AsyncRequestConfig, ConfigError, loadConfig } from "./config";
import { jsonLogger } from "./logger";
import { Dependencies, handleRequest } from "./request-api";
import { ErrorCode, HttpResponse, errorResponse } from "./response";

const write = (line: string) => process.stdout.write(`${line}\n`);

// Read once per cold start. A bad environment does not crash the function (a function URL would
// answer an opaque 502): every request gets a 500 JSON answer and the log lists every problem.
let config: AsyncRequestConfig | ConfigError;
try {
  config = loadConfig(process.env);
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  config = error;
}
const clients = config instanceof ConfigError ? undefined : createClients(config.awsRequestTimeoutMs);

interface LambdaContext {
  readonly awsRequestId?: string;
}

/** Lambda function URL handler (payload format 2.0). */
export async function handler(event: unknown, context?: LambdaContext): Promise<HttpResponse> {
  const urlRequestId = (event as { requestContext?: { requestId?: unknown } } | null)?.requestContext?.requestId;
  const log = jsonLogger(write, { lambdaRequestId: context?.awsRequestId ?? (typeof urlRequestId === "string" ? urlRequestId : undefined) });
  if (config instanceof ConfigError || clients === undefined) {
    log.error("configuration invalid", { problems: config instanceof ConfigError ? config.problems : [] });
    return errorResponse(500, ErrorCode.MISCONFIGURED, "the request function is misconfigured; its logs name the environment variables to fix");
  }
  const deps: Dependencies = { config, dynamodb: clients.dynamodb, sns: clients.sns, clock: systemClock, log };
  return handleRequest(event, deps);
}
