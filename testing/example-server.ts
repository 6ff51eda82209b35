import { ChildProcess, spawn } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { createServer, request } from "node:http";
import { AddressInfo, connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { nginxSite } from "../examples/inference-server/user-data";
import { stopChild, trackChild } from "./child-process";

const SERVER_DIR = join(__dirname, "..", "examples", "inference-server");

export interface ExampleServerOptions {
  /** uWSGI worker processes. */
  readonly workers: number;
  /** Seconds each worker's model load takes. */
  readonly modelLoadSeconds: number;
  /** Extra seconds of each worker's first inference. @default 0.2 */
  readonly firstInferenceSeconds?: number;
  /** Start uWSGI this long after nginx, so /health answers 502 until then (set-up in progress). @default 0 */
  readonly healthDelayMs?: number;
}

export interface ExampleServer {
  readonly port: number;
  /** Workers whose model is loaded, counted from their marker files. */
  loadedWorkers(): number;
  stop(): Promise<void>;
}

export interface PredictResponse {
  readonly worker_pid: number;
  readonly cold: boolean;
  readonly seconds: number;
}

async function freePort(): Promise<number> {
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

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1", () => {
      socket.destroy();
      resolve(true);
    });
    socket.on("error", () => resolve(false));
  });
}

/**
 * Starts the example inference server exactly as the instances run it: nginx in front of uWSGI
 * (lazy-apps, one process per worker) running the Flask app, but on an unprivileged loopback
 * port and with every path in a temporary directory. Call stop() in a finally block.
 */
export async function startExampleServer(options: ExampleServerOptions): Promise<ExampleServer> {
  const dir = mkdtempSync(join(tmpdir(), "warmfleet-server-"));
  const loadedDir = join(dir, "loaded");
  const port = await freePort();
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
  mkdirSync(loadedDir);

  const nginx = start("nginx", ["-e", join(dir, "nginx-error.log"), "-p", dir, "-c", join(dir, "nginx.conf")], process.env, join(dir, "nginx.log"));
  let uwsgi: ChildProcess | undefined;
  const uwsgiOutput: Buffer[] = [];
  const startUwsgi = () => {
    uwsgi = start(
      "uwsgi",
      ["--plugins", "python3", "--ini", join(SERVER_DIR, "uwsgi.ini")],
      {
        PATH: process.env.PATH,
        // The example server's directory is part of the repository: no __pycache__ left behind.
        PYTHONDONTWRITEBYTECODE: "1",
        INFERENCE_SOCKET: socket,
        INFERENCE_WORKERS: String(options.workers),
        MODEL_LOAD_SECONDS: String(options.modelLoadSeconds),
        MODEL_FIRST_INFERENCE_SECONDS: String(options.firstInferenceSeconds ?? 0.2),
        MODEL_LOADED_DIR: loadedDir,
      },
      join(dir, "uwsgi.log"),
      uwsgiOutput,
    );
  };
  const delayed = options.healthDelayMs ? setTimeout(startUwsgi, options.healthDelayMs) : undefined;
  if (!delayed) startUwsgi();

  const stopProcesses = async () => {
    if (delayed) clearTimeout(delayed);
    await Promise.all([stopChild(nginx, { signal: "SIGQUIT", killAfterMs: 5_000 }), ...(uwsgi ? [stopChild(uwsgi, { killAfterMs: 5_000 })] : [])]);
  };
  const stop = async () => {
    await stopProcesses();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitFor(() => portOpen(port), 10_000, `nginx on 127.0.0.1:${port}`);
    if (!delayed) {
      await waitFor(async () => (await get(port, "/health")) === 200, 30_000, "a healthy /health");
      // lazy-apps: each worker imports the app after the fork; wait until all of them accept.
      await waitFor(() => (Buffer.concat(uwsgiOutput).toString().match(/WSGI app 0 \(mountpoint=''\) ready/g) ?? []).length >= options.workers, 60_000, "all uWSGI workers ready");
    }
  } catch (error) {
    await stopProcesses();
    const logs = ["nginx.log", "nginx-error.log", "uwsgi.log"].map((f) => `--- ${f}\n${readIfExists(join(dir, f))}`).join("\n");
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`${(error as Error).message}\n${logs}`);
  }
  return { port, loadedWorkers: () => readdirSync(loadedDir).length, stop };
}

function readIfExists(file: string): string {
  return existsSync(file) ? readFileSync(file, "utf8").slice(-2000) : "(none)";
}

async function waitFor(condition: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function get(port: number, path: string): Promise<number | undefined> {
  return new Promise((resolve) => {
    const req = request({ host: "127.0.0.1", port, path, agent: false }, (res) => {
      res.resume();
      res.on("end", () => resolve(res.statusCode));
    });
    req.on("error", () => resolve(undefined));
    req.end();
  });
}

/** One prediction on a fresh connection. */
export function predict(port: number): Promise<PredictResponse> {
  return new Promise((resolve, reject) => {
    const body = Buffer.from('{"features":[0.5,0.25]}');
    const req = request(
      { host: "127.0.0.1", port, path: "/predict", method: "POST", agent: false, headers: { "content-type": "application/json", "content-length": body.length, connection: "close" } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => {
          if (res.statusCode !== 200) reject(new Error(`HTTP ${res.statusCode}`));
          else resolve(JSON.parse(Buffer.concat(chunks).toString("utf8")) as PredictResponse);
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
