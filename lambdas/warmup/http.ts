import { request } from "node:http";

export interface HttpResult {
  /** HTTP status, or undefined when no response arrived (refused, reset, timed out). */
  readonly status: number | undefined;
  readonly latencyMs: number;
  readonly error?: string;
  /** Response headers, names in lower case as Node gives them. */
  readonly headers?: Readonly<Record<string, string | string[] | undefined>>;
}

export interface HttpRequest {
  readonly host: string;
  readonly port: number;
  readonly path: string;
  readonly method: string;
  readonly body?: Buffer;
  readonly contentType?: string;
  readonly timeoutMs: number;
}

/** A function that performs one HTTP request and never rejects. */
export type HttpClient = (req: HttpRequest) => Promise<HttpResult>;

/**
 * One request on its own fresh connection (no keep-alive agent), so that every request is
 * accepted anew by whichever server worker is free: that is what spreads warmup across workers.
 * Resolves with the outcome; never rejects and never outlives its timeout.
 */
export const httpRequest: HttpClient = (req) =>
  new Promise((resolve) => {
    const started = performance.now();
    const finish = (status: number | undefined, error?: string, headers?: HttpResult["headers"]) => {
      clearTimeout(timer);
      resolve({ status, latencyMs: performance.now() - started, ...(error ? { error } : {}), ...(headers ? { headers } : {}) });
    };
    const headers: Record<string, string | number> = { connection: "close" };
    if (req.body !== undefined) {
      headers["content-type"] = req.contentType ?? "application/octet-stream";
      headers["content-length"] = req.body.length;
    }
    const outgoing = request({ host: req.host, port: req.port, path: req.path, method: req.method, headers, agent: false }, (res) => {
      res.on("data", () => undefined);
      res.on("end", () => finish(res.statusCode, undefined, res.headers));
      res.on("error", (e) => finish(res.statusCode, e.message, res.headers));
    });
    const timer = setTimeout(() => {
      outgoing.destroy();
      finish(undefined, `timed out after ${req.timeoutMs} ms`);
    }, req.timeoutMs);
    outgoing.on("error", (e) => finish(undefined, e.message));
    outgoing.end(req.body);
  });
