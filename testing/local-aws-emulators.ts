import { spawn } from "node:child_process";
import { join } from "node:path";
import { onLines, stopChild, trackChild } from "./child-process";

/**
 * DynamoDB (npm dynalite) and SNS + SQS (npm fauxqs), each or both in one child Node process,
 * always on 127.0.0.1 ephemeral ports. A child process keeps their ES modules and timers out of
 * the test's own process (jest's CommonJS runtime cannot load fauxqs, which is ESM only).
 *
 * fauxqs notes (1.9.2, the last release that runs on Node 20; 2.x imports node:sqlite, which
 * needs Node >= 22.5): SQS speaks only the AWS JSON 1.0 protocol (no query protocol), SNS the
 * query protocol. Its `startFauxqs()` listens on 0.0.0.0 whatever `host` says (that is only the
 * queue URLs' host), so the server below builds the app itself and listens on 127.0.0.1. Queue
 * URLs look like http://sqs.us-east-1.localhost:<port>/000000000000/<name>: the host does not
 * resolve, so SQS clients must use the endpoint, not the queue URL's host (`endpoint` set, or
 * `useQueueUrlAsEndpoint: false`).
 */
export type EmulatedService = "dynamodb" | "snsSqs";

/** Region and fake credentials every loopback AWS client (and bundle) uses. */
export const LOOPBACK_AWS = {
  region: "us-east-1",
  credentials: { accessKeyId: "AKIALOOPBACK00000000", secretAccessKey: "loopback-secret" },
} as const;

/** LOOPBACK_AWS as the variables a child process (a bundle, a worker, a script) reads. */
export const LOOPBACK_AWS_ENV: Readonly<Record<string, string>> = {
  AWS_REGION: LOOPBACK_AWS.region,
  AWS_DEFAULT_REGION: LOOPBACK_AWS.region,
  AWS_ACCESS_KEY_ID: LOOPBACK_AWS.credentials.accessKeyId,
  AWS_SECRET_ACCESS_KEY: LOOPBACK_AWS.credentials.secretAccessKey,
  AWS_EC2_METADATA_DISABLED: "true",
};

/** SDK client configuration for a loopback endpoint: fake credentials, one attempt, short timeouts. */
export function localClientConfig(endpoint: string) {
  return { endpoint, ...LOOPBACK_AWS, maxAttempts: 1, requestHandler: { connectionTimeout: 2_000, requestTimeout: 10_000, throwOnRequestTimeout: true } };
}

export interface LocalAws<S extends EmulatedService = EmulatedService> {
  /** http://127.0.0.1:<port> of each started emulator (fauxqs serves SNS and SQS on one port). */
  readonly endpoints: Readonly<Record<S, string>>;
  /** LOOPBACK_AWS_ENV and the AWS_ENDPOINT_URL_<SERVICE> variables for a child process. */
  readonly env: Readonly<Record<string, string>>;
  /** Stops the emulators' process and waits until it has exited. */
  stop(): Promise<void>;
}

const ENDPOINT_VARIABLES: Record<EmulatedService, readonly string[]> = {
  dynamodb: ["AWS_ENDPOINT_URL_DYNAMODB"],
  snsSqs: ["AWS_ENDPOINT_URL_SQS", "AWS_ENDPOINT_URL_SNS"],
};

// Started with the services to run as arguments; prints one line `READY {"<service>":<port>}`.
const SERVER = `
const services = process.argv.slice(1);
const ports = {};
const closers = [];
if (services.includes("dynamodb")) {
  const { default: dynalite } = await import("dynalite");
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise((resolve, reject) => server.listen(0, "127.0.0.1", (e) => (e ? reject(e) : resolve())));
  ports.dynamodb = server.address().port;
  closers.push(() => new Promise((resolve) => server.close(() => resolve())));
}
if (services.includes("snsSqs")) {
  const { buildApp } = await import("fauxqs");
  const app = buildApp({ logger: false });
  await app.listen({ port: 0, host: "127.0.0.1" });
  ports.snsSqs = app.server.address().port;
  closers.push(() => app.close());
}
process.stdout.write("READY " + JSON.stringify(ports) + "\\n");
const stop = () => {
  setTimeout(() => process.exit(0), 2000).unref();
  Promise.allSettled(closers.map((close) => close())).finally(() => process.exit(0));
};
process.on("SIGTERM", stop);
process.stdin.on("end", stop); // the parent died or stopped us: do not outlive it
process.stdin.resume();
`;

/**
 * Starts the emulators of `services` (both by default) in one child process. To run each in a
 * process of its own (a benchmark that should not share one event loop), call it once per service.
 */
export async function startLocalAws<S extends EmulatedService = EmulatedService>(
  services: readonly S[] = ["dynamodb", "snsSqs"] as unknown as readonly S[],
  timeoutMs = 15_000,
): Promise<LocalAws<S>> {
  const child = trackChild(
    spawn(process.execPath, ["--input-type=module", "-e", SERVER, ...services], {
      cwd: join(__dirname, ".."),
      stdio: ["pipe", "pipe", "pipe"],
      env: { ...process.env, NODE_NO_WARNINGS: "1" },
    }),
  );
  let output = "";
  const ports = await new Promise<Record<S, number>>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no READY line within ${timeoutMs} ms`)), timeoutMs);
    onLines(child.stdout, (line) => {
      output += `${line}\n`;
      if (!line.startsWith("READY ")) return;
      clearTimeout(timer);
      resolve(JSON.parse(line.slice("READY ".length)));
    });
    child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.once("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once("exit", (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`exited (${code ?? signal})`));
    });
  }).catch((error: Error) => {
    child.kill("SIGKILL");
    throw new Error(`the emulators (${services.join(", ")}) did not start: ${error.message}${output ? `\n${output.slice(-2000)}` : ""}`);
  });
  const endpoints = Object.fromEntries(services.map((s) => [s, `http://127.0.0.1:${ports[s]}`])) as Record<S, string>;
  const env: Record<string, string> = { ...LOOPBACK_AWS_ENV };
  for (const service of services) for (const variable of ENDPOINT_VARIABLES[service]) env[variable] = endpoints[service];
  return {
    endpoints,
    env,
    stop: async () => {
      await stopChild(child);
    },
  };
}
