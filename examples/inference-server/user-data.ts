import { readFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import type { InstanceLogGroupNames } from "../../modules/instance-log-groups";

/** When each worker loads its model: at worker start (production) or on its first request. */
export type ModelLoadMode = "start" | "first-request";

/** Options of the example server's bootstrap. */
export interface UserDataOptions {
  /** Port nginx listens on (the ALB target port). */
  readonly port: number;
  /** Seconds a model load takes in the example model. @default 2 */
  readonly modelLoadSeconds?: number;
  /** Extra seconds of each worker's first inference. @default 0.3 */
  readonly firstInferenceSeconds?: number;
  /** The app's MODEL_LOAD. @default "start" */
  readonly modelLoad?: ModelLoadMode;
  /** Log groups (made by InstanceLogGroups) the CloudWatch agent ships nginx and uWSGI logs to. @default - no agent: logs stay on the instance */
  readonly logGroups?: InstanceLogGroupNames;
}

/** EC2 rejects user data over 16 KiB (before base64). */
export const USER_DATA_LIMIT_BYTES = 16 * 1024;

const SOCKET = "/run/inference-server/uwsgi.sock";
const VENV = "/opt/inference-server/venv";
/** AL2023's newest Python with -devel and -pip packages that the pinned requirements support (>= 3.10). */
const PYTHON = "python3.11";
const AGENT_CONFIG = "/opt/aws/amazon-cloudwatch-agent/etc/warmfleet.json";
const UWSGI_LOG = "/var/log/inference-server/uwsgi.log";

function serverFile(name: string): string {
  return readFileSync(join(__dirname, name), "utf8");
}

/** The nginx server block for a listen address and uWSGI socket. */
export function nginxSite(listen: string, socket: string): string {
  return serverFile("nginx-site.conf").replaceAll("@LISTEN@", listen).replaceAll("@SOCKET@", socket);
}

// gzip keeps the server files (app.py is mostly documentation) well inside the user data limit.
function writeFile(path: string, content: string, mode: string): string {
  const directory = path.slice(0, path.lastIndexOf("/"));
  const blob = gzipSync(Buffer.from(content, "utf8"), { level: 9 }).toString("base64");
  return `mkdir -p ${directory} && echo '${blob}' | base64 -d | gunzip > ${path} && chmod ${mode} ${path}`;
}

// Content with Terraform references (log group names) stays readable text: a reference inside
// gzip or base64 could not be resolved.
function writePlainFile(path: string, content: string, mode: string): string {
  const directory = path.slice(0, path.lastIndexOf("/"));
  return `mkdir -p ${directory} && cat > ${path} <<'WARMFLEET_EOF'\n${content}WARMFLEET_EOF\nchmod ${mode} ${path}`;
}

/** CloudWatch agent configuration: one stream per instance in each group; groups come from Terraform. */
export function cloudWatchAgentConfig(groups: InstanceLogGroupNames): string {
  const file = (filePath: string, group: string) => ({ file_path: filePath, log_group_name: group, log_stream_name: "{instance_id}" });
  return `${JSON.stringify(
    {
      logs: {
        force_flush_interval: 5,
        logs_collected: {
          files: {
            collect_list: [
              file("/var/log/nginx/access.log", groups.nginxAccess),
              file("/var/log/nginx/error.log", groups.nginxError),
              file(UWSGI_LOG, groups.server),
            ],
          },
        },
      },
    },
    null,
    2,
  )}\n`;
}

const LOGROTATE = [`${UWSGI_LOG} {`, "  daily", "  rotate 7", "  compress", "  missingok", "  notifempty", "  copytruncate", "}", ""].join("\n");

function agentSteps(groups: InstanceLogGroupNames | undefined): string[] {
  if (!groups) return [];
  return [
    writePlainFile(AGENT_CONFIG, cloudWatchAgentConfig(groups), "0644"),
    // -s enables the agent's unit too, so it starts again on every boot from a Stopped warm pool.
    `/opt/aws/amazon-cloudwatch-agent/bin/amazon-cloudwatch-agent-ctl -a fetch-config -m ec2 -s -c file:${AGENT_CONFIG}`,
  ];
}

/**
 * Bootstrap for Amazon Linux 2023 that installs the example server (nginx + uWSGI + Flask in a
 * virtualenv, every Python package pinned by sha256), writes its files, enables its units and,
 * with `logGroups`, ships its logs with the CloudWatch agent.
 *
 * Warm pools: EC2 runs user data on the first boot only, which is exactly when set-up must
 * happen. Instances restarted from a Stopped pool never run it again; systemd starts the
 * enabled units on every boot, /run is recreated, and each worker loads its model again (at
 * start, or on its first request with modelLoad "first-request") because nothing in memory
 * survives the stop. The marker file keeps a re-run (for example a manual `cloud-init clean`)
 * from reinstalling.
 */
export function inferenceServerUserData(options: UserDataOptions): string {
  const environment = [
    `MODEL_LOAD=${options.modelLoad ?? "start"}`,
    `MODEL_LOAD_SECONDS=${options.modelLoadSeconds ?? 2}`,
    `MODEL_FIRST_INFERENCE_SECONDS=${options.firstInferenceSeconds ?? 0.3}`,
    "",
  ].join("\n");
  const buildTools = `gcc ${PYTHON}-devel`;
  const agentPackage = options.logGroups ? " amazon-cloudwatch-agent" : "";
  const script = [
    "#!/bin/bash",
    "set -euo pipefail",
    "exec >> /var/log/warmfleet-bootstrap.log 2>&1",
    "marker=/var/lib/warmfleet/bootstrap-done",
    'if [ -f "$marker" ]; then echo "bootstrap already done"; exit 0; fi',
    `dnf install -y --setopt=install_weak_deps=False nginx logrotate ${PYTHON} ${buildTools}${agentPackage}`,
    writeFile("/opt/inference-server/requirements-build.txt", serverFile("requirements-build.txt"), "0644"),
    writeFile("/opt/inference-server/requirements.txt", serverFile("requirements.txt"), "0644"),
    `${PYTHON} -m venv ${VENV}`,
    // Hash-checked: setuptools first, then the rest built with it (no unpinned build dependency).
    `${VENV}/bin/pip install --no-cache-dir --require-hashes -r /opt/inference-server/requirements-build.txt`,
    `${VENV}/bin/pip install --no-cache-dir --require-hashes --no-build-isolation --no-binary markupsafe,uwsgi -r /opt/inference-server/requirements.txt`,
    `dnf remove -y ${buildTools}`,
    "id inference >/dev/null 2>&1 || useradd --system --no-create-home --shell /sbin/nologin inference",
    "usermod -a -G inference nginx",
    writeFile("/opt/inference-server/app.py", serverFile("app.py"), "0644"),
    writeFile("/opt/inference-server/uwsgi.ini", serverFile("uwsgi.ini"), "0644"),
    writeFile("/etc/inference-server/environment", environment, "0644"),
    writeFile("/etc/systemd/system/inference-server.service", serverFile("inference-server.service"), "0644"),
    writeFile("/etc/logrotate.d/inference-server", LOGROTATE, "0644"),
    writeFile("/etc/nginx/nginx.conf", serverFile("nginx.conf"), "0644"),
    writeFile("/etc/nginx/conf.d/inference.conf", nginxSite(String(options.port), SOCKET), "0644"),
    "systemctl daemon-reload",
    "systemctl enable --now inference-server.service nginx.service",
    ...agentSteps(options.logGroups),
    'mkdir -p "$(dirname "$marker")" && touch "$marker"',
    "",
  ].join("\n");
  const size = Buffer.byteLength(script, "utf8");
  if (size > USER_DATA_LIMIT_BYTES) {
    throw new Error(`inferenceServerUserData: the bootstrap is ${size} bytes; EC2 allows ${USER_DATA_LIMIT_BYTES}. Shrink the server files.`);
  }
  return script;
}
