/** The parts of a Lambda function URL event (payload format 2.0) the request API reads. */
export interface HttpRequest {
  readonly method: string;
  /** Path without query string, trailing slashes removed ("/" stays "/"). */
  readonly path: string;
  /** Header names lowercased. */
  readonly headers: Readonly<Record<string, string>>;
  /** The body's bytes (base64-decoded when the function URL encoded it); undefined when absent. */
  readonly body: Buffer | undefined;
  /** Host name of the function URL, for absolute status URLs. */
  readonly domainName: string | undefined;
  /** The function URL's request id (requestContext.requestId). */
  readonly requestId: string | undefined;
}

export type ParsedHttpEvent = { readonly ok: true; readonly request: HttpRequest } | { readonly ok: false; readonly reason: string };

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Strictly reads a function URL event; anything else is a reason, never an exception. */
export function parseHttpEvent(event: unknown): ParsedHttpEvent {
  if (!isRecord(event)) return { ok: false, reason: "the event is not a JSON object" };
  const context = event.requestContext;
  if (!isRecord(context) || !isRecord(context.http)) return { ok: false, reason: "the event has no requestContext.http: not a Lambda function URL event (payload format 2.0)" };
  const method = context.http.method;
  if (typeof method !== "string" || method.length === 0) return { ok: false, reason: "requestContext.http.method is missing" };
  const rawPath = typeof event.rawPath === "string" ? event.rawPath : context.http.path;
  if (typeof rawPath !== "string" || !rawPath.startsWith("/")) return { ok: false, reason: "rawPath is missing or does not start with /" };
  const headers: Record<string, string> = {};
  if (event.headers !== undefined && event.headers !== null) {
    if (!isRecord(event.headers)) return { ok: false, reason: "headers is not an object" };
    for (const [name, value] of Object.entries(event.headers)) {
      if (typeof value === "string") headers[name.toLowerCase()] = value;
    }
  }
  let body: Buffer | undefined;
  if (event.body !== undefined && event.body !== null) {
    if (typeof event.body !== "string") return { ok: false, reason: "body is not a string" };
    body = event.isBase64Encoded === true ? Buffer.from(event.body, "base64") : Buffer.from(event.body, "utf8");
  }
  return {
    ok: true,
    request: {
      method: method.toUpperCase(),
      path: rawPath.length > 1 ? rawPath.replace(/\/+$/, "") || "/" : rawPath,
      headers,
      body,
      domainName: typeof context.domainName === "string" && context.domainName.length > 0 ? context.domainName : undefined,
      requestId: typeof context.requestId === "string" ? context.requestId : undefined,
    },
  };
}
