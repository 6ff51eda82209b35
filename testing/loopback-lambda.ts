import { createServer, Server } from "node:http";
import { closeNow, listenOnLoopback, readBody } from "./loopback-http";

/** One Invoke call the fake Lambda API received. */
export interface LambdaInvocation {
  readonly functionName: string;
  readonly invocationType: string;
  readonly payload: unknown;
}

export interface LoopbackLambda {
  /** http://127.0.0.1:<port>, for AWS_ENDPOINT_URL_LAMBDA. */
  readonly url: string;
  readonly invocations: LambdaInvocation[];
  /** Resolves once every invocation received so far has finished running. */
  settled(): Promise<void>;
  close(): Promise<void>;
}

const INVOKE_PATH = /^\/2015-03-31\/functions\/([^/]+)\/invocations/;

/**
 * A loopback stand-in for Lambda's Invoke API (REST JSON): an asynchronous ("Event") invocation
 * is accepted with 202 at once and `run` is called with its payload, as Lambda would run the
 * function; tests then wait for `settled()`. Anything else is a 400.
 */
export async function startLoopbackLambda(run: (invocation: LambdaInvocation) => Promise<unknown>): Promise<LoopbackLambda> {
  const invocations: LambdaInvocation[] = [];
  const running: Promise<unknown>[] = [];
  const server: Server = createServer((req, res) => {
    readBody(req).then((body) => {
      const match = INVOKE_PATH.exec(req.url ?? "");
      const invocationType = String(req.headers["x-amz-invocation-type"] ?? "RequestResponse");
      if (req.method !== "POST" || !match || invocationType !== "Event") {
        res.writeHead(400, { "content-type": "application/json", "x-amzn-errortype": "InvalidRequestContentException" }).end('{"message":"loopback Lambda accepts asynchronous Invoke only"}');
        return;
      }
      const invocation = { functionName: decodeURIComponent(match[1]), invocationType, payload: JSON.parse(body || "null") as unknown };
      invocations.push(invocation);
      running.push(run(invocation).catch(() => undefined));
      res.writeHead(202, { "x-amzn-requestid": `loopback-${invocations.length}` }).end();
    }, () => res.destroy());
  });
  const port = await listenOnLoopback(server);
  return {
    url: `http://127.0.0.1:${port}`,
    invocations,
    settled: async () => {
      await Promise.all(running);
    },
    close: () => closeNow(server),
  };
}
