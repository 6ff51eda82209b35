import { spawn } from "node:child_process";
import { join } from "node:path";
import { LOOPBACK_AWS_ENV } from "./local-aws-emulators";

export const WARMUP_BUNDLE = join(__dirname, "..", "dist", "lambdas", "warmup", "index.js");

export interface BundleInvocation {
  /** Parsed return value of the handler, undefined when it threw. */
  readonly result: Record<string, unknown> | undefined;
  /** JSON log lines the function wrote. */
  readonly logs: Record<string, unknown>[];
  readonly stderr: string;
  readonly exitCode: number | null;
}

const RUNNER = `
const { handler } = require(process.env.BUNDLE);
const deadline = Date.now() + Number(process.env.REMAINING_MS);
handler(JSON.parse(process.env.EVENT), { awsRequestId: "local", getRemainingTimeInMillis: () => deadline - Date.now() })
  .then((r) => process.stdout.write("RESULT " + JSON.stringify(r) + "\\n"), (e) => { process.stderr.write(String(e && e.stack || e)); process.exit(1); });
`;

/**
 * Runs the built warmup bundle's handler once in a fresh Node process, as Lambda would: a cold
 * start with only the given environment, fake credentials, and the SDK pointed at `awsEndpoint`
 * through the SDK's own AWS_ENDPOINT_URL_<SERVICE> variables.
 */
export function invokeBundle(options: {
  readonly event: unknown;
  readonly awsEndpoint: string;
  readonly env: Readonly<Record<string, string>>;
  readonly remainingMs?: number;
  readonly bundle?: string;
}): Promise<BundleInvocation> {
  const env = {
    PATH: process.env.PATH ?? "",
    ...LOOPBACK_AWS_ENV,
    AWS_ENDPOINT_URL_EC2: options.awsEndpoint,
    AWS_ENDPOINT_URL_AUTO_SCALING: options.awsEndpoint,
    BUNDLE: options.bundle ?? WARMUP_BUNDLE,
    EVENT: JSON.stringify(options.event),
    REMAINING_MS: String(options.remainingMs ?? 120_000),
    ...options.env,
  };
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["-e", RUNNER], { env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c: Buffer) => (stdout += c.toString()));
    child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
    child.on("error", reject);
    child.on("close", (exitCode) => {
      const lines = stdout.split("\n").filter((l) => l.trim().length > 0);
      const resultLine = lines.find((l) => l.startsWith("RESULT "));
      const logs = lines.filter((l) => l.startsWith("{")).map((l) => JSON.parse(l) as Record<string, unknown>);
      resolve({ result: resultLine ? JSON.parse(resultLine.slice("RESULT ".length)) : undefined, logs, stderr, exitCode });
    });
  });
}
