import { ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { hasExited, onLines, stopChild, trackChild } from "./child-process";

/** The example workers (examples/async-worker/). */
export const ASYNC_WORKER_DIR = join(__dirname, "..", "examples", "async-worker");

/**
 * Debian's Python with Debian's python3-boto3 (scripts/install-test-deps.sh), as the worker's
 * image would have it; WARMFLEET_PYTHON overrides (e.g. a virtualenv with a newer boto3).
 */
export const PYTHON = process.env.WARMFLEET_PYTHON ?? (existsSync("/usr/bin/python3") ? "/usr/bin/python3" : "python3");

/** One JSON line a worker logged. */
export type WorkerLog = Record<string, unknown> & { readonly event: string };

export interface RunningWorker {
  readonly name: string;
  readonly child: ChildProcess;
  readonly logs: WorkerLog[];
  /** Output that was not a JSON log line (tracebacks). */
  readonly stderr: () => string;
  waitForLog(predicate: (log: WorkerLog) => boolean, timeoutMs: number, what: string): Promise<WorkerLog>;
  /** Resolves with the exit code (null when killed by a signal). */
  readonly exited: Promise<number | null>;
  /** SIGTERM, then SIGKILL after `killAfterMs`. */
  stop(killAfterMs?: number): Promise<void>;
}

function baseEnv(env: Readonly<Record<string, string>>): NodeJS.ProcessEnv {
  // Only what the worker needs: no developer AWS profile or endpoint leaks in from the shell.
  return { PATH: process.env.PATH ?? "/usr/bin:/bin", PYTHONDONTWRITEBYTECODE: "1", PYTHONUNBUFFERED: "1", ...env };
}

/** Starts `python3 worker.py` with `env`; call stop() in a finally block or afterAll. */
export function startPythonWorker(name: string, env: Readonly<Record<string, string>>): RunningWorker {
  const child = trackChild(spawn(PYTHON, [join(ASYNC_WORKER_DIR, "worker.py")], { cwd: ASYNC_WORKER_DIR, env: baseEnv(env), stdio: ["ignore", "pipe", "pipe"] }));
  const logs: WorkerLog[] = [];
  const waiters = new Set<() => void>();
  let stderr = "";
  onLines(child.stdout, (line) => {
    if (line.startsWith("{")) logs.push({ ...(JSON.parse(line) as WorkerLog), worker: name });
    else if (line.trim()) stderr += line + "\n";
    waiters.forEach((w) => w());
  });
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) =>
    child.once("exit", (code) => {
      waiters.forEach((w) => w());
      resolve(code);
    }),
  );
  return {
    name,
    child,
    logs,
    stderr: () => stderr,
    exited,
    waitForLog: (predicate, timeoutMs, what) =>
      new Promise<WorkerLog>((resolve, reject) => {
        const check = () => {
          const found = logs.find(predicate);
          if (found) {
            done();
            resolve(found);
          } else if (hasExited(child)) {
            done();
            reject(new Error(`worker ${name} exited before ${what}:\n${stderr}`));
          }
        };
        const timer = setTimeout(() => {
          done();
          reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what} from worker ${name}:\n${stderr}`));
        }, timeoutMs);
        const done = () => {
          clearTimeout(timer);
          waiters.delete(check);
        };
        waiters.add(check);
        check();
      }),
    stop: async (killAfterMs = 5_000) => {
      await stopChild(child, { killAfterMs });
    },
  };
}

const LAMBDA_RUNNER = `
import json, os, sys
sys.path.insert(0, os.environ["WORKER_DIR"])
import lambda_worker
class Context:
    def get_remaining_time_in_millis(self):
        return 60000
result = lambda_worker.handler(json.loads(os.environ["EVENT"]), Context())
print("RESULT " + json.dumps(result), flush=True)
`;

/** Calls lambda_worker.handler(event) once in a fresh Python process, as the Lambda runtime would. */
export function invokeLambdaWorker(event: unknown, env: Readonly<Record<string, string>>, timeoutMs = 30_000): Promise<{ result: unknown; logs: WorkerLog[]; stderr: string; exitCode: number | null }> {
  return new Promise((resolve, reject) => {
    const child = trackChild(spawn(PYTHON, ["-c", LAMBDA_RUNNER], {
      env: baseEnv({ ...env, WORKER_DIR: ASYNC_WORKER_DIR, EVENT: JSON.stringify(event) }),
      stdio: ["ignore", "pipe", "pipe"],
    }));
    let stdout = "";
    let stderr = "";
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.stdout.on("data", (c: Buffer) => (stdout += c.toString()));
    child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
    child.on("error", reject);
    child.on("close", (exitCode) => {
      clearTimeout(timer);
      const lines = stdout.split("\n");
      const resultLine = lines.find((l) => l.startsWith("RESULT "));
      resolve({
        result: resultLine ? JSON.parse(resultLine.slice("RESULT ".length)) : undefined,
        logs: lines.filter((l) => l.startsWith("{")).map((l) => JSON.parse(l) as WorkerLog),
        stderr,
        exitCode,
      });
    });
  });
}
