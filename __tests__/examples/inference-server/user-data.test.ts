import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { USER_DATA_LIMIT_BYTES, cloudWatchAgentConfig, inferenceServerUserData, nginxSite } from "../../../examples/inference-server/user-data";

const SERVER_DIR = join(__dirname, "..", "..", "..", "examples", "inference-server");
const LOG_GROUPS = { nginxAccess: "/warmfleet/prod/nginx-access", nginxError: "/warmfleet/prod/nginx-error", server: "/warmfleet/prod/server" };
const script = inferenceServerUserData({ port: 80, modelLoadSeconds: 5, firstInferenceSeconds: 0.5 });
const withLogs = inferenceServerUserData({ port: 80, logGroups: LOG_GROUPS });

/** The files the bootstrap writes (gzip+base64 blocks, decoded, and heredocs), by destination path. */
function writtenFiles(userData: string): Record<string, string> {
  const files: Record<string, string> = {};
  for (const match of userData.matchAll(/echo '([A-Za-z0-9+/=]+)' \| base64 -d \| gunzip > (\S+) && chmod (\d+)/g)) {
    files[match[2]] = gunzipSync(Buffer.from(match[1], "base64")).toString("utf8");
  }
  for (const match of userData.matchAll(/cat > (\S+) <<'WARMFLEET_EOF'\n([\s\S]*?)WARMFLEET_EOF\n/g)) {
    files[match[1]] = match[2];
  }
  return files;
}

function lineIndex(userData: string, predicate: (line: string) => boolean): number {
  return userData.split("\n").findIndex(predicate);
}

function serverFile(name: string): string {
  return readFileSync(join(SERVER_DIR, name), "utf8");
}

describe("inferenceServerUserData", () => {
  test("GIVEN the default options and the log agent WHEN generated THEN both are valid bash under the EC2 user data limit", () => {
    for (const userData of [script, withLogs]) {
      execFileSync("bash", ["-n"], { input: userData });
      expect(Buffer.byteLength(userData)).toBeLessThan(USER_DATA_LIMIT_BYTES);
      expect(userData.startsWith("#!/bin/bash\nset -euo pipefail\n")).toBe(true);
    }
  });

  test("GIVEN a generated bootstrap WHEN its files are decoded THEN they are the example server's files, byte for byte", () => {
    const files = writtenFiles(script);
    expect(Object.keys(files).sort()).toEqual([
      "/etc/inference-server/environment",
      "/etc/logrotate.d/inference-server",
      "/etc/nginx/conf.d/inference.conf",
      "/etc/nginx/nginx.conf",
      "/etc/systemd/system/inference-server.service",
      "/opt/inference-server/app.py",
      "/opt/inference-server/requirements-build.txt",
      "/opt/inference-server/requirements.txt",
      "/opt/inference-server/uwsgi.ini",
    ]);
    for (const [path, name] of [
      ["/opt/inference-server/app.py", "app.py"],
      ["/opt/inference-server/uwsgi.ini", "uwsgi.ini"],
      ["/opt/inference-server/requirements.txt", "requirements.txt"],
      ["/opt/inference-server/requirements-build.txt", "requirements-build.txt"],
      ["/etc/systemd/system/inference-server.service", "inference-server.service"],
      ["/etc/nginx/nginx.conf", "nginx.conf"],
    ]) {
      expect(files[path]).toBe(serverFile(name));
    }
    expect(files["/etc/inference-server/environment"]).toBe("MODEL_LOAD=start\nMODEL_LOAD_SECONDS=5\nMODEL_FIRST_INFERENCE_SECONDS=0.5\n");
    expect(writtenFiles(inferenceServerUserData({ port: 80, modelLoad: "first-request" }))["/etc/inference-server/environment"]).toMatch(/^MODEL_LOAD=first-request$/m);
  });

  test("GIVEN port 80 WHEN the nginx site is written THEN every placeholder is filled", () => {
    const site = writtenFiles(script)["/etc/nginx/conf.d/inference.conf"];
    expect(site).toContain("listen 80 default_server;");
    expect(site).toContain("uwsgi_pass unix:/run/inference-server/uwsgi.sock;");
    expect(site).not.toContain("@");
    expect(nginxSite("127.0.0.1:8081", "/tmp/s.sock")).not.toMatch(/@[A-Z]+@/);
  });

  test("GIVEN a Stopped warm pool WHEN the instance restarts THEN set-up does not run again and the services start by themselves", () => {
    const markerCheck = lineIndex(script, (l) => l.includes('if [ -f "$marker" ]; then') && l.includes("exit 0"));
    const firstInstall = lineIndex(script, (l) => l.startsWith("dnf install"));
    expect(markerCheck).toBeGreaterThan(0);
    expect(markerCheck).toBeLessThan(firstInstall);
    expect(script.split("\n").at(-2)).toMatch(/touch "\$marker"$/);
    expect(script).toContain("systemctl enable --now inference-server.service nginx.service");
    const unit = writtenFiles(script)["/etc/systemd/system/inference-server.service"];
    expect(unit).toMatch(/WantedBy=multi-user.target/);
    expect(unit).toMatch(/RuntimeDirectory=inference-server/);
    expect(unit).toMatch(/^Environment=MODEL_LOADED_DIR=\/run\/inference-server\/loaded$/m);
    expect(unit).toMatch(/Restart=always/);
  });

  test("GIVEN the bootstrap WHEN it installs Python packages THEN only hash-checked ones, with no unpinned build dependency, and the build tools go afterwards", () => {
    const pipLines = script.split("\n").filter((l) => l.includes("/bin/pip install"));
    expect(pipLines).toHaveLength(2);
    for (const line of pipLines) expect(line).toContain("--require-hashes");
    expect(pipLines[1]).toContain("--no-build-isolation");
    expect(script).toMatch(/^dnf install .*\bgcc python3\.11-devel\b/m);
    const removal = lineIndex(script, (l) => l === "dnf remove -y gcc python3.11-devel");
    expect(removal).toBeGreaterThan(lineIndex(script, (l) => l === pipLines[1]));
    expect(removal).toBeLessThan(lineIndex(script, (l) => l.startsWith("systemctl enable")));
  });

  test.each(["requirements.txt", "requirements-build.txt"])("GIVEN %s WHEN read THEN every package has an exact version and sha256 hashes", (name) => {
    const requirements = serverFile(name)
      .split("\n")
      .filter((l) => l && !l.startsWith("#"))
      .join("\n")
      .split(/\n(?=\S)/);
    expect(requirements.length).toBeGreaterThan(0);
    for (const requirement of requirements) {
      expect(requirement).toMatch(/^[a-z0-9-]+==[0-9][0-9A-Za-z.]* \\\n(\s+--hash=sha256:[0-9a-f]{64}( \\\n)?)+$/);
    }
  });

  test("GIVEN log groups WHEN generated THEN the CloudWatch agent ships nginx and uWSGI logs to exactly those groups, starting at every boot", () => {
    expect(writtenFiles(script)["/opt/aws/amazon-cloudwatch-agent/etc/warmfleet.json"]).toBeUndefined();
    expect(script).not.toContain("amazon-cloudwatch-agent");
    const config = JSON.parse(writtenFiles(withLogs)["/opt/aws/amazon-cloudwatch-agent/etc/warmfleet.json"]);
    expect(config).toEqual(JSON.parse(cloudWatchAgentConfig(LOG_GROUPS)));
    expect(config.logs.logs_collected.files.collect_list).toEqual([
      { file_path: "/var/log/nginx/access.log", log_group_name: LOG_GROUPS.nginxAccess, log_stream_name: "{instance_id}" },
      { file_path: "/var/log/nginx/error.log", log_group_name: LOG_GROUPS.nginxError, log_stream_name: "{instance_id}" },
      { file_path: "/var/log/inference-server/uwsgi.log", log_group_name: LOG_GROUPS.server, log_stream_name: "{instance_id}" },
    ]);
    expect(withLogs).toMatch(/^dnf install .* amazon-cloudwatch-agent$/m);
    expect(withLogs).toContain("amazon-cloudwatch-agent-ctl -a fetch-config -m ec2 -s -c file:/opt/aws/amazon-cloudwatch-agent/etc/warmfleet.json");
    const unit = writtenFiles(withLogs)["/etc/systemd/system/inference-server.service"];
    expect(unit).toMatch(/^StandardOutput=append:\/var\/log\/inference-server\/uwsgi.log$/m);
    expect(serverFile("nginx.conf")).toMatch(/access_log \/var\/log\/nginx\/access.log;/);
    expect(serverFile("nginx.conf")).toMatch(/error_log \/var\/log\/nginx\/error.log/);
  });

  test("GIVEN the uWSGI config WHEN read THEN every worker loads its own app after fork, one per vCPU by default, and nothing recycles workers (uWSGI and gunicorn)", () => {
    const ini = serverFile("uwsgi.ini");
    expect(ini).toMatch(/^lazy-apps = true$/m);
    expect(ini).toMatch(/^processes = %k$/m);
    expect(ini).toMatch(/^enable-threads = true$/m);
    expect(ini).toMatch(/^socket = %\(_\)$/m);
    expect(ini).not.toMatch(/^(max-requests|max-worker-lifetime|reload-on-rss|reload-on-as|cheaper|idle)\b/m);
    const gunicorn = serverFile("gunicorn.conf.py");
    expect(gunicorn).toMatch(/^worker_class = "gthread"$/m);
    expect(gunicorn).toMatch(/^preload_app = False$/m);
    expect(gunicorn).toMatch(/^max_requests = 0$/m);
    expect(gunicorn).not.toMatch(/^max_requests_jitter/m);
  });
});
