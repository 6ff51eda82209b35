/** What a Lambda function URL returns (payload format 2.0, explicit form). */
export interface HttpResponse {
  readonly statusCode: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

/** Machine-readable codes of the error answers (the `error.code` field). */
export enum ErrorCode {
  BAD_EVENT = "BadEvent",
  NOT_FOUND = "NotFound",
  ROUTE_NOT_FOUND = "RouteNotFound",
  METHOD_NOT_ALLOWED = "MethodNotAllowed",
  UNSUPPORTED_MEDIA_TYPE = "UnsupportedMediaType",
  MISSING_BODY = "MissingBody",
  BODY_TOO_LARGE = "BodyTooLarge",
  INVALID_JSON = "InvalidJson",
  INVALID_IDEMPOTENCY_KEY = "InvalidIdempotencyKey",
  INVALID_REQUEST_ID = "InvalidRequestId",
  IDEMPOTENCY_KEY_REUSED = "IdempotencyKeyReused",
  SERVICE_UNAVAILABLE = "ServiceUnavailable",
  INTERNAL_ERROR = "InternalError",
  MISCONFIGURED = "Misconfigured",
}

export function json(statusCode: number, body: unknown, headers: Record<string, string> = {}): HttpResponse {
  return { statusCode, headers: { "content-type": "application/json", "cache-control": "no-store", ...headers }, body: JSON.stringify(body) };
}

/** The one error format: `{ "error": { "code", "message" } }`. */
export function errorResponse(statusCode: number, code: ErrorCode, message: string, headers: Record<string, string> = {}): HttpResponse {
  return json(statusCode, { error: { code, message } }, headers);
}
