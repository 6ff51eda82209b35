import { createHash } from "node:crypto";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { SNSClient } from "@aws-sdk/client-sns";
import { AsyncRequestStatus, IDEMPOTENCY_KEY_HEADER } from "../../modules/async-contract";
import { Clock } from "./clock";
import { AsyncRequestConfig, SNS_MAX_MESSAGE_BYTES } from "./config";
import { HttpRequest, parseHttpEvent } from "./event";
import { Logger, errorFields } from "./logger";
import { computeEventMessage, publishComputeEvent } from "./publish";
import { ErrorCode, HttpResponse, errorResponse, json } from "./response";
import { RequestRecord, createQueuedRecord, deleteUnpublishedRecord, getRecord, isExpired } from "./store";

export interface Dependencies {
  readonly config: AsyncRequestConfig;
  readonly dynamodb: DynamoDBClient;
  readonly sns: SNSClient;
  readonly clock: Clock;
  readonly log: Logger;
}

/** Request ids: the idempotency-key header's alphabet (the body hash is 32 hex characters). */
export const REQUEST_ID_PATTERN = /^[A-Za-z0-9_-]{1,128}$/;
export const REQUESTS_PATH = "/requests";
const STATUS_PATH = /^\/requests\/([^/]+)$/;
/** Seconds a client should wait before retrying a 503. */
const RETRY_AFTER_SECONDS = "1";

/**
 * Handles one function URL request. Resolves for every event, malformed or not, and for every
 * AWS failure: a function URL answers a thrown error with an opaque 502, so errors are answered
 * here as JSON with a code and a message.
 */
export async function handleRequest(event: unknown, deps: Dependencies): Promise<HttpResponse> {
  const started = deps.clock.now();
  const parsed = parseHttpEvent(event);
  if (!parsed.ok) {
    deps.log.warn("malformed event", { reason: parsed.reason });
    return errorResponse(400, ErrorCode.BAD_EVENT, `${parsed.reason}; this function answers HTTP requests from its function URL only`);
  }
  const request = parsed.request;
  let response: HttpResponse;
  try {
    response = await route(request, deps);
  } catch (error) {
    // Not reached by AWS errors (answered where they happen); a bug must still answer JSON.
    deps.log.error("unexpected error", { method: request.method, path: request.path, ...errorFields(error) });
    response = errorResponse(500, ErrorCode.INTERNAL_ERROR, `unexpected error; quote request ${request.requestId ?? "(unknown)"} when reporting it`);
  }
  deps.log.info("request handled", {
    method: request.method,
    path: request.path,
    statusCode: response.statusCode,
    durationMs: Math.round(deps.clock.now() - started),
  });
  return response;
}

function route(request: HttpRequest, deps: Dependencies): Promise<HttpResponse> | HttpResponse {
  const { method, path } = request;
  if (path === REQUESTS_PATH || path === "/") {
    return method === "POST" ? submit(request, deps) : methodNotAllowed(method, path, "POST");
  }
  const match = STATUS_PATH.exec(path);
  if (match) {
    return method === "GET" ? status(decodePathSegment(match[1]), deps) : methodNotAllowed(method, path, "GET");
  }
  return errorResponse(404, ErrorCode.ROUTE_NOT_FOUND, `no route ${method} ${path}; the routes are POST /requests (submit) and GET /requests/{id} (status)`);
}

function methodNotAllowed(method: string, path: string, allowed: string): HttpResponse {
  return errorResponse(405, ErrorCode.METHOD_NOT_ALLOWED, `${method} is not allowed on ${path}; use ${allowed}`, { allow: allowed });
}

function decodePathSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

/** application/json, optionally with a utf-8 charset; anything else is refused (415). */
function contentTypeProblem(contentType: string | undefined): string | undefined {
  if (contentType === undefined || contentType.trim() === "") return "the content-type header is missing";
  const [mediaType, ...parameters] = contentType.split(";").map((p) => p.trim().toLowerCase());
  if (mediaType !== "application/json") return `content-type ${JSON.stringify(contentType)} is not accepted`;
  const charset = parameters.find((p) => p.startsWith("charset="));
  if (charset !== undefined && charset.replace(/^charset=|"/g, "") !== "utf-8") return `content-type ${JSON.stringify(contentType)} has a charset other than utf-8`;
  return undefined;
}

async function submit(request: HttpRequest, deps: Dependencies): Promise<HttpResponse> {
  const { config, clock, log } = deps;
  const typeProblem = contentTypeProblem(request.headers["content-type"]);
  if (typeProblem) return errorResponse(415, ErrorCode.UNSUPPORTED_MEDIA_TYPE, `${typeProblem}; send the request as JSON with content-type: application/json`);
  const body = request.body;
  if (body === undefined || body.length === 0) return errorResponse(400, ErrorCode.MISSING_BODY, "the request has no body; POST the inference input as a JSON document");
  if (body.length > config.maxBodyBytes) {
    return errorResponse(413, ErrorCode.BODY_TOO_LARGE, `the body is ${body.length} bytes; at most ${config.maxBodyBytes} bytes are accepted`);
  }
  const key = request.headers[IDEMPOTENCY_KEY_HEADER];
  if (key !== undefined && !REQUEST_ID_PATTERN.test(key)) {
    return errorResponse(
      400,
      ErrorCode.INVALID_IDEMPOTENCY_KEY,
      `the ${IDEMPOTENCY_KEY_HEADER} header ${JSON.stringify(key.slice(0, 140))} is malformed; it must be 1 to 128 letters, digits, "-" or "_"`,
    );
  }
  let payload: unknown;
  try {
    payload = JSON.parse(body.toString("utf8"));
  } catch (error) {
    return errorResponse(400, ErrorCode.INVALID_JSON, `the body is not valid JSON (${(error as Error).message})`);
  }
  const payloadSha256 = createHash("sha256").update(body).digest("hex");
  const requestId = key ?? payloadSha256.slice(0, 32);
  const fields = { requestId, idempotencyKey: key !== undefined };

  const now = clock.now();
  const existing = await readRecord(deps, requestId);
  if (!existing.ok) return existing.response;
  if (existing.record !== undefined && !isExpired(existing.record, now)) {
    log.info("request already known", { ...fields, status: existing.record.status });
    return answerExisting(request, existing.record, payloadSha256, key);
  }

  const submittedAt = new Date(now).toISOString();
  const message = computeEventMessage({ requestId, payload, submittedAt });
  const messageBytes = Buffer.byteLength(message, "utf8");
  if (messageBytes > SNS_MAX_MESSAGE_BYTES) {
    return errorResponse(
      413,
      ErrorCode.BODY_TOO_LARGE,
      `the compute event for this body is ${messageBytes} bytes, above the ${SNS_MAX_MESSAGE_BYTES}-byte SNS message limit; send a smaller body`,
    );
  }
  const nowSeconds = Math.floor(now / 1000);
  let created: boolean;
  try {
    created = await createQueuedRecord(deps.dynamodb, config.tableName, { requestId, createdAt: submittedAt, expiresAt: nowSeconds + config.resultTtlSeconds, payloadSha256 }, nowSeconds);
  } catch (error) {
    return awsFailure(deps, "could not create the request record", "the results store", error, fields);
  }
  if (!created) {
    // A concurrent duplicate created it between our read and write: it publishes, we must not.
    const again = await readRecord(deps, requestId);
    if (!again.ok) return again.response;
    log.info("concurrent duplicate; not published", { ...fields, status: again.record?.status });
    if (again.record === undefined) {
      // Its creator failed to publish and removed it: the client should simply try again.
      return errorResponse(503, ErrorCode.SERVICE_UNAVAILABLE, `request ${requestId} is being submitted by another call that failed; retry`, { "retry-after": RETRY_AFTER_SECONDS });
    }
    return answerExisting(request, again.record, payloadSha256, key);
  }

  try {
    const messageId = await publishComputeEvent(deps.sns, config.topicArn, message);
    log.info("request queued", { ...fields, messageId, bodyBytes: body.length });
  } catch (error) {
    // Never leave a queued record whose compute event was not sent: a retry would find it and
    // wait forever. Remove it, so the client's retry creates and publishes it again.
    let removed: boolean | "failed";
    try {
      removed = await deleteUnpublishedRecord(deps.dynamodb, config.tableName, requestId, submittedAt);
    } catch (deleteError) {
      removed = "failed";
      log.error("could not remove the record of an unpublished request: it stays queued without a compute event until it expires", {
        ...fields,
        ...errorFields(deleteError),
      });
    }
    log.error("could not publish the compute event", { ...fields, recordRemoved: removed, ...errorFields(error) });
    return errorResponse(503, ErrorCode.SERVICE_UNAVAILABLE, `request ${requestId} could not be queued (the requests topic did not accept it); nothing was recorded, retry`, {
      "retry-after": RETRY_AFTER_SECONDS,
    });
  }
  const statusUrl = statusUrlOf(request, requestId);
  return json(202, { requestId, status: AsyncRequestStatus.QUEUED, statusUrl }, { location: statusUrl });
}

async function status(requestId: string, deps: Dependencies): Promise<HttpResponse> {
  if (!REQUEST_ID_PATTERN.test(requestId)) {
    return errorResponse(400, ErrorCode.INVALID_REQUEST_ID, `${JSON.stringify(requestId.slice(0, 140))} is not a request id; ids are 1 to 128 letters, digits, "-" or "_"`);
  }
  const read = await readRecord(deps, requestId);
  if (!read.ok) return read.response;
  if (read.record === undefined || isExpired(read.record, deps.clock.now())) {
    return errorResponse(404, ErrorCode.NOT_FOUND, `no request ${requestId}: it was never submitted, or its record expired after ${deps.config.resultTtlSeconds} seconds`);
  }
  return json(200, view(read.record, deps.log));
}

type Read = { readonly ok: true; readonly record: RequestRecord | undefined } | { readonly ok: false; readonly response: HttpResponse };

async function readRecord(deps: Dependencies, requestId: string): Promise<Read> {
  try {
    return { ok: true, record: await getRecord(deps.dynamodb, deps.config.tableName, requestId) };
  } catch (error) {
    return { ok: false, response: awsFailure(deps, "could not read the request record", "the results store", error, { requestId }) };
  }
}

/** POST of a known request: 200 with the outcome when it is done, 202 while it is queued or running. */
function answerExisting(request: HttpRequest, record: RequestRecord, payloadSha256: string, key: string | undefined): HttpResponse {
  if (record.payloadSha256 !== undefined && record.payloadSha256 !== payloadSha256) {
    return errorResponse(
      409,
      ErrorCode.IDEMPOTENCY_KEY_REUSED,
      key !== undefined
        ? `${IDEMPOTENCY_KEY_HEADER} ${key} was already used for a request with a different body; use a new key for a new request`
        : `request ${record.requestId} was recorded for a different body with the same hash prefix; send an ${IDEMPOTENCY_KEY_HEADER} header`,
    );
  }
  const statusUrl = statusUrlOf(request, record.requestId);
  const done = record.status === AsyncRequestStatus.SUCCEEDED || record.status === AsyncRequestStatus.FAILED;
  return json(done ? 200 : 202, { ...view(record), statusUrl }, done ? {} : { location: statusUrl });
}

/** The status document: what GET answers and what a duplicate POST of a finished request returns. */
function view(record: RequestRecord, log?: Logger): Record<string, unknown> {
  const out: Record<string, unknown> = { requestId: record.requestId, status: record.status, createdAt: record.createdAt, updatedAt: record.updatedAt };
  if (record.status === AsyncRequestStatus.SUCCEEDED && record.result !== undefined) {
    try {
      out.result = JSON.parse(record.result);
    } catch {
      log?.warn("stored result is not JSON; returned as text", { requestId: record.requestId });
      out.result = record.result;
    }
  }
  if (record.status === AsyncRequestStatus.FAILED) out.error = record.error ?? "the computation failed";
  return out;
}

function statusUrlOf(request: HttpRequest, requestId: string): string {
  const path = `${REQUESTS_PATH}/${requestId}`;
  return request.domainName === undefined ? path : `https://${request.domainName}${path}`;
}

const THROTTLING = new Set([
  "ThrottlingException",
  "Throttling",
  "ThrottledException",
  "ProvisionedThroughputExceededException",
  "RequestLimitExceeded",
  "TransactionConflictException",
  "KMSThrottlingException",
  "TimeoutError",
  "RequestTimeout",
  "RequestTimeoutException",
]);
const NETWORK = new Set(["ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "EPIPE", "ENOTFOUND", "EAI_AGAIN", "ECONNABORTED"]);

/** Transient (throttled, timed out, unreachable, a server fault): worth a retry by the client. */
export function isTransient(error: unknown): boolean {
  const e = error as { name?: string; code?: string; $fault?: string; $retryable?: unknown };
  return THROTTLING.has(e.name ?? "") || NETWORK.has(e.code ?? "") || e.$fault === "server" || e.$retryable !== undefined;
}

/** An AWS call failed: logged with the request id; 503 + retry-after when transient, 500 otherwise. */
function awsFailure(deps: Dependencies, what: string, service: string, error: unknown, fields: Record<string, unknown>): HttpResponse {
  const transient = isTransient(error);
  deps.log.error(what, { ...fields, transient, ...errorFields(error) });
  const id = typeof fields.requestId === "string" ? ` (request ${fields.requestId})` : "";
  return transient
    ? errorResponse(503, ErrorCode.SERVICE_UNAVAILABLE, `${service} is unavailable or throttled${id}; retry`, { "retry-after": RETRY_AFTER_SECONDS })
    : errorResponse(500, ErrorCode.INTERNAL_ERROR, `${service} refused the call${id}; the function's logs have the cause`);
}
