import { ChildProcess, spawn } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { createServer, request } from "node:http";
import { AddressInfo, connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { nginxSite } from "../examples/inference-server/user-data";
import { stopChild, trackChild } from "./child-process";

const SERVER_DIR = join(__dirname, "..", "examples", "inference-server");

/** The app server of the example: uWSGI behind nginx (the instances) or gunicorn gthread on the port. */
export type ExampleServerKind = "uwsgi" | "gunicorn";

/** When each worker loads its model (the app's MODEL_LOAD). */
export type ModelLoadMode = "start" | "first-request";

/** The app's default worker header (WORKER_ID_HEADER). */
export const WORKER_ID_HEADER = "X-Worker-Id";

export interface ExampleServerOptions {
  /** Worker processes. */
  readonly workers: number;
  /** Seconds each worker's model load takes. */
  readonly modelLoadSeconds: number;
  /** Extra seconds of each worker's first inference. @default 0.2 */
  readonly firstInferenceSeconds?: number;
  /** Start uWSGI this long after nginx, so /health answers 502 until then (set-up in progress). @default 0 */
  readonly healthDelayMs?: number;
  /** App server. @default "uwsgi" */
  readonly server?: ExampleServerKind;
  /** "first-request" keeps the lazy load warmup tests measure; "start" is the production default. @default "first-request" */
  readonly modelLoad?: ModelLoadMode;
  /** Response header naming the worker; "" turns it off. @default "X-Worker-Id" */
  readonly workerIdHeader?: string;
  /** gunicorn threads per worker (gthread). @default 4 */
  readonly threads?: number;
}

export interface Readiness {
  readonly status: number | undefined;
  readonly retryAfter?: string;
  readonly workersLoaded?: number;
  readonly workersExpected?: number;
}

export interface ExampleServer {
  readonly port: number;
  /** Workers whose model is loaded, counted from their marker files. */
  loadedWorkers(): number;
  /** One GET /ready (200 only once every worker has its model). */
  readiness(): Promise<Readiness>;
  stop(): Promise<void>;
}

export interface PredictResponse {
  readonly worker_pid: number;
  readonly cold: boolean;
  readonly seconds: number;
  /** Value of the worker header, when the server sends it. */
  readonly workerId?: string;
}

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

function start(command: string, args: string[], env: NodeJS.ProcessEnv, logFile: string, chunks: Buffer[] = []): ChildProcess {
  const child = spawn(command, args, { env, stdio: ["ignore", "pipe", "pipe"] });
  child.stdout?.on("data", (c: Buffer) => chunks.push(c));
  child.stderr?.on("data", (c: Buffer) => chunks.push(c));
  child.on("exit", () => writeFileSync(logFile, Buffer.concat(chunks)));
  return trackChild(child);
}

export function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1", () => {
      socket.destroy();
      resolve(true);
    });
    socket.on("error", () => resolve(false));
  });
}

/**
 * Starts the example inference server as the instances run it: nginx in front of uWSGI (lazy-apps,
 * one process per worker) running the Flask app, or gunicorn gthread serving the port itself; on
 * an unprivileged loopback port, every path in a temporary directory. Resolves once every worker
 * accepts requests (with MODEL_LOAD=start their models may still be loading). Call stop() in a
 * finally block.
 */
export async function startExampleServer(options: ExampleServerOptions): Promise<ExampleServer> {
  const dir = mkdtempSync(join(tmpdir(), "warmfleet-server-"));
  const loadedDir = join(dir, "loaded");
  const port = await freePort();
  mkdirSync(loadedDir);
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    // The example server's directory is part of the repository: no __pycache__ left behind.
    PYTHONDONTWRITEBYTECODE: "1",
    INFERENCE_WORKERS: String(options.workers),
    MODEL_LOAD: options.modelLoad ?? "first-request",
    MODEL_LOAD_SECONDS: String(options.modelLoadSeconds),
    MODEL_FIRST_INFERENCE_SECONDS: String(options.firstInferenceSeconds ?? 0.2),
    MODEL_LOADED_DIR: loadedDir,
    WORKER_ID_HEADER: options.workerIdHeader ?? WORKER_ID_HEADER,
  };
  const processes = options.server === "gunicorn" ? startGunicorn(dir, port, env, options) : startNginxUwsgi(dir, port, env, options);
  const stopProcesses = processes.stop;
  const stop = async () => {
    await stopProcesses();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    // gunicorn's master forks every worker before it listens: at 32 workers on a busy machine that takes seconds.
    await waitFor(() => portOpen(port), 60_000, `a listener on 127.0.0.1:${port}`);
    if (!options.healthDelayMs) {
      await waitFor(async () => (await get(port, "/health")).status === 200, 30_000, "a healthy /health");
      await waitFor(() => (processes.output().match(processes.workerReady) ?? []).length >= options.workers, 60_000, "all workers accepting");
    }
  } catch (error) {
    await stopProcesses();
    const logs = processes.logs.map((f) => `--- ${f}\n${readIfExists(join(dir, f))}`).join("\n");
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`${(error as Error).message}\n${logs}`);
  }
  return { port, loadedWorkers: () => readdirSync(loadedDir).length, readiness: () => readiness(port), stop };
}

interface ServerProcesses {
  /** Everything the app server wrote so far. */
  output(): string;
  /** A line the app server writes once per worker that accepts requests. */
  readonly workerReady: RegExp;
  /** Log files (in the temp dir) worth showing when start-up fails. */
  readonly logs: readonly string[];
  stop(): Promise<void>;
}

/** uWSGI starts after `healthDelayMs`, so nginx answers 502 until then (set-up in progress). */
function startNginxUwsgi(dir: string, port: number, env: NodeJS.ProcessEnv, options: ExampleServerOptions): ServerProcesses {
  const socket = join(dir, "uwsgi.sock");
  copyFileSync("/etc/nginx/uwsgi_params", join(dir, "uwsgi_params"));
  writeFileSync(join(dir, "site.conf"), nginxSite(`127.0.0.1:${port}`, socket));
  writeFileSync(
    join(dir, "nginx.conf"),
    [
      "worker_processes 2;",
      `pid ${dir}/nginx.pid;`,
      "daemon off;",
      // As root, nginx would drop its workers to nobody, who cannot open the socket in our 0700 temp dir.
      ...(process.getuid?.() === 0 ? ["user root;"] : []),
      "events { worker_connections 4096; }",
      "http {",
      "  access_log off;",
      ...["client_body", "proxy", "fastcgi", "uwsgi", "scgi"].map((t) => `  ${t}_temp_path ${dir}/${t}_temp;`),
      "  include site.conf;",
      "}",
      "",
    ].join("\n"),
  );
  const nginx = start("nginx", ["-e", join(dir, "nginx-error.log"), "-p", dir, "-c", join(dir, "nginx.conf")], process.env, join(dir, "nginx.log"));
  let uwsgi: ChildProcess | undefined;
  const uwsgiOutput: Buffer[] = [];
  const startUwsgi = () => {
    uwsgi = start("uwsgi", ["--plugins", "python3", "--ini", join(SERVER_DIR, "uwsgi.ini")], { ...env, INFERENCE_SOCKET: socket }, join(dir, "uwsgi.log"), uwsgiOutput);
  };
  const delayed = options.healthDelayMs ? setTimeout(startUwsgi, options.healthDelayMs) : undefined;
  if (!delayed) startUwsgi();
  return {
    output: () => Buffer.concat(uwsgiOutput).toString(),
    // lazy-apps: each worker imports the app after the fork and says so.
    workerReady: /WSGI app 0 \(mountpoint=''\) ready/g,
    logs: ["nginx.log", "nginx-error.log", "uwsgi.log"],
    stop: async () => {
      if (delayed) clearTimeout(delayed);
      await Promise.all([stopChild(nginx, { signal: "SIGQUIT", killAfterMs: 5_000 }), ...(uwsgi ? [stopChild(uwsgi, { killAfterMs: 5_000 })] : [])]);
    },
  };
}

/** Debian's gunicorn (python3-gunicorn) with the example's gunicorn.conf.py, listening on the port itself. */
function startGunicorn(dir: string, port: number, env: NodeJS.ProcessEnv, options: ExampleServerOptions): ServerProcesses {
  const output: Buffer[] = [];
  let gunicorn: ChildProcess | undefined;
  const startIt = () => {
    gunicorn = start(
      "/usr/bin/python3",
      // A test server needs no grace on stop: a gthread worker's exit waits for its thread pool,
      // which held each stop for 6 s at 32 workers (the master waits up to graceful_timeout).
      ["-m", "gunicorn", "--chdir", SERVER_DIR, "-c", join(SERVER_DIR, "gunicorn.conf.py"), "--graceful-timeout", "1", "app:app"],
      { ...env, INFERENCE_BIND: `127.0.0.1:${port}`, INFERENCE_THREADS: String(options.threads ?? 4) },
      join(dir, "gunicorn.log"),
      output,
    );
  };
  const delayed = options.healthDelayMs ? setTimeout(startIt, options.healthDelayMs) : undefined;
  if (!delayed) startIt();
  return {
    output: () => Buffer.concat(output).toString(),
    workerReady: /Worker ready \(pid: \d+\)/g,
    logs: ["gunicorn.log"],
    stop: async () => {
      if (delayed) clearTimeout(delayed);
      // SIGQUIT: gunicorn's quick shutdown; SIGTERM would wait for keep-alive connections to close.
      if (gunicorn) await stopChild(gunicorn, { signal: "SIGQUIT", killAfterMs: 10_000 });
    },
  };
}

function readIfExists(file: string): string {
  return existsSync(file) ? readFileSync(file, "utf8").slice(-2000) : "(none)";
}

export async function waitFor(condition: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** One GET on a fresh connection: status (undefined when no connection), headers and body. */
export function get(port: number, path: string): Promise<{ status?: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  return new Promise((resolve) => {
    const req = request({ host: "127.0.0.1", port, path, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks).toString("utf8") }));
    });
    req.on("error", () => resolve({ headers: {}, body: "" }));
    req.end();
  });
}

/** One GET /ready: its status, Retry-After and worker counts. */
export async function readiness(port: number): Promise<Readiness> {
  const { status, headers, body } = await get(port, "/ready");
  const counts = status === 200 || status === 503 ? (JSON.parse(body) as { workers_loaded: number; workers_expected: number }) : undefined;
  return { status, retryAfter: headers["retry-after"] as string | undefined, workersLoaded: counts?.workers_loaded, workersExpected: counts?.workers_expected };
}

/** One prediction on a fresh connection; `workerId` from the header `workerIdHeader`. */
export function predict(port: number, workerIdHeader: string = WORKER_ID_HEADER): Promise<PredictResponse> {
  return new Promise((resolve, reject) => {
    const body = Buffer.from('{"features":[0.5,0.25]}');
    const req = request(
      { host: "127.0.0.1", port, path: "/predict", method: "POST", agent: false, headers: { "content-type": "application/json", "content-length": body.length, connection: "close" } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => {
          if (res.statusCode !== 200) reject(new Error(`HTTP ${res.statusCode}`));
          else resolve({ ...(JSON.parse(Buffer.concat(chunks).toString("utf8")) as PredictResponse), workerId: res.headers[workerIdHeader.toLowerCase()] as string | undefined });
        });
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

/** What users meet next: a burst of concurrent predictions on fresh connections; counts the cold ones. */
export async function coldHitsInBurst(port: number, requests: number): Promise<{ cold: number; workersSeen: number }> {
  const responses = await Promise.all(Array.from({ length: requests }, () => predict(port)));
  return { cold: responses.filter((r) => r.cold).length, workersSeen: new Set(responses.map((r) => r.worker_pid)).size };
}
