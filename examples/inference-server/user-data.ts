import { readFileSync } from "node:fs";
import { join } from "node:path";

/** Options of the example server's bootstrap. */
export interface UserDataOptions {
  /** Port nginx listens on (the ALB target port). */
  readonly port: number;
  /** Seconds a model load takes in the example model. @default 2 */
  readonly modelLoadSeconds?: number;
  /** Extra seconds of each worker's first inference. @default 0.3 */
  readonly firstInferenceSeconds?: number;
}

/** EC2 rejects user data over 16 KiB (before base64). */
export const USER_DATA_LIMIT_BYTES = 16 * 1024;

const SOCKET = "/run/inference-server/uwsgi.sock";
const FLASK_VERSION = "3.0.3";
const UWSGI_VERSION = "2.0.28";

function serverFile(name: string): string {
  return readFileSync(join(__dirname, name), "utf8");
}

/** The nginx server block for a listen address and uWSGI socket. */
export function nginxSite(listen: string, socket: string): string {
  return serverFile("nginx-site.conf").replaceAll("@LISTEN@", listen).replaceAll("@SOCKET@", socket);
}

function writeFile(path: string, content: string, mode: string): string {
  const directory = path.slice(0, path.lastIndexOf("/"));
  const base64 = Buffer.from(content, "utf8").toString("base64");
  return `mkdir -p ${directory} && echo '${base64}' | base64 -d > ${path} && chmod ${mode} ${path}`;
}

/**
 * Bootstrap for Amazon Linux 2023 that installs the example server (nginx + uWSGI + Flask),
 * writes its files and enables its units.
 *
 * Warm pools: EC2 runs user data on the first boot only, which is exactly when set-up must
 * happen. Instances restarted from a Stopped pool never run it again; systemd starts the
 * enabled units on every boot, /run is recreated, and each worker loads its model on its first
 * request because nothing in memory survives the stop. The marker file keeps a re-run (for
 * example a manual `cloud-init clean`) from reinstalling.
 */
export function inferenceServerUserData(options: UserDataOptions): string {
  const environment = [
    `MODEL_LOAD_SECONDS=${options.modelLoadSeconds ?? 2}`,
    `MODEL_FIRST_INFERENCE_SECONDS=${options.firstInferenceSeconds ?? 0.3}`,
    "",
  ].join("\n");
  const script = [
    "#!/bin/bash",
    "set -euo pipefail",
    "exec >> /var/log/warmfleet-bootstrap.log 2>&1",
    "marker=/var/lib/warmfleet/bootstrap-done",
    'if [ -f "$marker" ]; then echo "bootstrap already done"; exit 0; fi',
    "dnf install -y --setopt=install_weak_deps=False nginx python3-pip python3-devel gcc",
    `pip3 install --no-cache-dir flask==${FLASK_VERSION} uwsgi==${UWSGI_VERSION}`,
    "id inference >/dev/null 2>&1 || useradd --system --no-create-home --shell /sbin/nologin inference",
    "usermod -a -G inference nginx",
    writeFile("/opt/inference-server/app.py", serverFile("app.py"), "0644"),
    writeFile("/opt/inference-server/uwsgi.ini", serverFile("uwsgi.ini"), "0644"),
    writeFile("/etc/inference-server/environment", environment, "0644"),
    writeFile("/etc/systemd/system/inference-server.service", serverFile("inference-server.service"), "0644"),
    writeFile("/etc/nginx/nginx.conf", serverFile("nginx.conf"), "0644"),
    writeFile("/etc/nginx/conf.d/inference.conf", nginxSite(String(options.port), SOCKET), "0644"),
    "systemctl daemon-reload",
    "systemctl enable --now inference-server.service nginx.service",
    'mkdir -p "$(dirname "$marker")" && touch "$marker"',
    "",
  ].join("\n");
  const size = Buffer.byteLength(script, "utf8");
  if (size > USER_DATA_LIMIT_BYTES) {
    throw new Error(`inferenceServerUserData: the bootstrap is ${size} bytes; EC2 allows ${USER_DATA_LIMIT_BYTES}. Shrink the server files.`);
  }
  return script;
}
