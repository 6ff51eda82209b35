import { spawn } from "node:child_process";
import { join } from "node:path";
import { ASYNC_REQUEST_ENV, IDEMPOTENCY_KEY_HEADER } from "../modules/async-contract";
import { hasExited, onLines, stopChild, trackChild } from "./child-process";
import { LOOPBACK_AWS_ENV, LocalAws } from "./local-aws-emulators";

export const ASYNC_REQUEST_BUNDLE = join(__dirname, "..", "dist", "lambdas", "async-request", "index.js");

/** What the handler returned for one event (a function URL response, body parsed: every answer of this function is JSON). */
export interface AsyncRequestResponse {
  readonly statusCode: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: any;
}

/** Builds a Lambda function URL event (payload format 2.0), as the function URL would send it. */
export function functionUrlEvent(options: {
  readonly method: string;
  readonly path: string;
  /** A string is sent as is; any other value is sent as its JSON text. */
  readonly body?: unknown;
  readonly headers?: Readonly<Record<string, string>>;
  /** Sends the body base64-encoded with isBase64Encoded: true (function URLs do so for binary types). */
  readonly base64?: boolean;
  readonly idempotencyKey?: string;
  readonly domainName?: string;
}): Record<string, unknown> {
  const domainName = options.domainName ?? "abcdefghijklmnopqrstuvwxyz012345.lambda-url.us-east-1.on.aws";
  const text = options.body === undefined ? undefined : typeof options.body === "string" ? options.body : JSON.stringify(options.body);
  const headers: Record<string, string> = {
    host: domainName,
    ...(text !== undefined ? { "content-type": "application/json" } : {}),
    ...(options.idempotencyKey !== undefined ? { [IDEMPOTENCY_KEY_HEADER]: options.idempotencyKey } : {}),
    ...options.headers,
  };
  const requestId = `local-${Math.random().toString(16).slice(2, 10)}`;
  return {
    version: "2.0",
    routeKey: "$default",
    rawPath: options.path,
    rawQueryString: "",
    headers,
    requestContext: {
      accountId: "anonymous",
      apiId: domainName.split(".")[0],
      domainName,
      domainPrefix: domainName.split(".")[0],
      http: { method: options.method, path: options.path, protocol: "HTTP/1.1", sourceIp: "127.0.0.1", userAgent: "warmfleet-test" },
      requestId,
      routeKey: "$default",
      stage: "$default",
      time: "23/Nov/2026:16:00:00 +0000",
      timeEpoch: 1_795_449_600_000,
    },
    ...(text !== undefined ? { body: options.base64 ? Buffer.from(text, "utf8").toString("base64") : text, isBase64Encoded: options.base64 === true } : { isBase64Encoded: false }),
  };
}

/** The bundle's environment for a loopback run: the contract's variables plus the SDK endpoint overrides. */
export function asyncRequestEnv(options: {
  readonly endpoints: LocalAws["endpoints"];
  readonly tableName: string;
  readonly topicArn: string;
  readonly maxBodyBytes?: number;
  readonly resultTtlSeconds?: number;
}): Record<string, string> {
  return {
    AWS_ENDPOINT_URL_DYNAMODB: options.endpoints.dynamodb,
    AWS_ENDPOINT_URL_SNS: options.endpoints.snsSqs,
    [ASYNC_REQUEST_ENV.tableName]: options.tableName,
    [ASYNC_REQUEST_ENV.topicArn]: options.topicArn,
    ...(options.maxBodyBytes !== undefined ? { [ASYNC_REQUEST_ENV.maxBodyBytes]: String(options.maxBodyBytes) } : {}),
    ...(options.resultTtlSeconds !== undefined ? { [ASYNC_REQUEST_ENV.resultTtlSeconds]: String(options.resultTtlSeconds) } : {}),
  };
}

/**
 * The built request bundle loaded once in a fresh Node process (one cold start) and invoked many
 * times, like a warm Lambda execution environment. Invocations may overlap.
 */
export interface WarmBundle {
  /** Invokes the handler once; rejects when it throws, the process exits or `timeoutMs` passes. */
  invoke(event: unknown, timeoutMs?: number): Promise<AsyncRequestResponse>;
  /** JSON log lines the function wrote so far. */
  readonly logs: Record<string, unknown>[];
  /** What the process wrote to stderr so far. */
  stderr(): string;
  /** Closes the process's stdin (it exits once its invocations are done) and resolves with its exit code. */
  stop(): Promise<number | null>;
}

// Invocations come as JSON lines {id, event} on stdin; the process exits when stdin closes and
// the last one is done.
const RUNNER = `
const { handler } = require(process.env.BUNDLE);
const readline = require("node:readline");
readline.createInterface({ input: process.stdin }).on("line", (line) => {
  const { id, event } = JSON.parse(line);
  handler(event, { awsRequestId: "local-" + id }).then(
    (r) => process.stdout.write("RESULT " + JSON.stringify({ id, result: r }) + "\\n"),
    (e) => process.stdout.write("RESULT " + JSON.stringify({ id, error: String((e && e.stack) || e) }) + "\\n"),
  );
});
process.stdout.write("READY\\n");
`;

/**
 * Starts the bundle (ASYNC_REQUEST_BUNDLE unless `bundle`) in a fresh Node process, as Lambda
 * would: only `env` (usually from asyncRequestEnv()) over PATH and the loopback credentials; the
 * handler gets awsRequestId "local-<n>", n counting the invocations from 0.
 */
export async function startWarmBundle(options: { readonly env: Readonly<Record<string, string>>; readonly bundle?: string; readonly startTimeoutMs?: number }): Promise<WarmBundle> {
  const child = trackChild(
    spawn(process.execPath, ["-e", RUNNER], {
      env: { PATH: process.env.PATH ?? "", ...LOOPBACK_AWS_ENV, NODE_NO_WARNINGS: "1", BUNDLE: options.bundle ?? ASYNC_REQUEST_BUNDLE, ...options.env },
      stdio: ["pipe", "pipe", "pipe"],
    }),
  );
  const logs: Record<string, unknown>[] = [];
  const pending = new Map<number, { resolve: (r: AsyncRequestResponse) => void; reject: (e: Error) => void; timer: NodeJS.Timeout }>();
  let stderr = "";
  let ready: () => void = () => undefined;
  const readyPromise = new Promise<void>((resolve) => (ready = resolve));
  child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
  onLines(child.stdout, (line) => {
    if (line === "READY") ready();
    else if (line.startsWith("RESULT ")) {
      const { id, result, error } = JSON.parse(line.slice("RESULT ".length)) as { id: number; result?: { statusCode: number; headers: Record<string, string>; body: string }; error?: string };
      const waiter = pending.get(id);
      if (!waiter) return;
      pending.delete(id);
      clearTimeout(waiter.timer);
      if (error !== undefined || result === undefined) waiter.reject(new Error(`handler threw: ${error}`));
      else waiter.resolve({ statusCode: result.statusCode, headers: result.headers, body: JSON.parse(result.body) });
    } else if (line.startsWith("{")) logs.push(JSON.parse(line) as Record<string, unknown>);
  });
  const exited = new Promise<never>((_, reject) => child.once("exit", (code) => reject(new Error(`bundle process exited with ${code}:\n${stderr}`))));
  exited.catch((error: Error) => pending.forEach((w) => w.reject(error)));
  const startTimer = setTimeout(() => child.kill("SIGKILL"), options.startTimeoutMs ?? 10_000);
  await Promise.race([readyPromise, exited]).finally(() => clearTimeout(startTimer));
  let next = 0;
  return {
    logs,
    stderr: () => stderr,
    invoke: (event, timeoutMs = 10_000) =>
      new Promise((resolve, reject) => {
        if (hasExited(child)) return reject(new Error(`bundle process exited with ${child.exitCode}:\n${stderr}`));
        const id = next++;
        const timer = setTimeout(() => {
          pending.delete(id);
          reject(new Error(`invocation ${id} timed out after ${timeoutMs} ms:\n${stderr}`));
        }, timeoutMs);
        pending.set(id, { resolve, reject, timer });
        child.stdin.write(JSON.stringify({ id, event }) + "\n");
      }),
    stop: () => stopChild(child, { graceMs: 5_000 }),
  };
}

export interface AsyncRequestRun {
  /** One response per event, in order; shorter when an invocation failed part-way. */
  readonly responses: AsyncRequestResponse[];
  /** JSON log lines the function wrote. */
  readonly logs: Record<string, unknown>[];
  readonly stderr: string;
  readonly exitCode: number | null;
  /** Why the responses stop short, when they do. */
  readonly error?: Error;
}

/**
 * Runs `events` one after another through a fresh bundle process (a cold start, then warm
 * invocations), stops it and returns what it answered and logged. Rejects when the bundle does
 * not load (startWarmBundle's error, with its stderr).
 */
export async function invokeAsyncRequest(options: { readonly events: readonly unknown[]; readonly env: Readonly<Record<string, string>>; readonly bundle?: string; readonly timeoutMs?: number }): Promise<AsyncRequestRun> {
  const bundle = await startWarmBundle(options);
  const responses: AsyncRequestResponse[] = [];
  let error: Error | undefined;
  try {
    for (const event of options.events) responses.push(await bundle.invoke(event, options.timeoutMs ?? 60_000));
  } catch (e) {
    error = e as Error;
  }
  const exitCode = await bundle.stop();
  return { responses, logs: bundle.logs, stderr: bundle.stderr(), exitCode, ...(error ? { error } : {}) };
}
