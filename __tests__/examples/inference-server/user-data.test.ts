import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { USER_DATA_LIMIT_BYTES, inferenceServerUserData, nginxSite } from "../../../examples/inference-server/user-data";

const SERVER_DIR = join(__dirname, "..", "..", "..", "examples", "inference-server");
const script = inferenceServerUserData({ port: 80, modelLoadSeconds: 5, firstInferenceSeconds: 0.5 });

/** The files the bootstrap writes, decoded from its base64 blocks, by destination path. */
function writtenFiles(userData: string): Record<string, string> {
  const files: Record<string, string> = {};
  for (const match of userData.matchAll(/echo '([A-Za-z0-9+/=]+)' \| base64 -d > (\S+) && chmod (\d+)/g)) {
    files[match[2]] = Buffer.from(match[1], "base64").toString("utf8");
  }
  return files;
}

describe("inferenceServerUserData", () => {
  test("GIVEN the default options WHEN generated THEN it is valid bash under the EC2 user data limit", () => {
    execFileSync("bash", ["-n"], { input: script });
    expect(Buffer.byteLength(script)).toBeLessThan(USER_DATA_LIMIT_BYTES);
    expect(script.startsWith("#!/bin/bash\nset -euo pipefail\n")).toBe(true);
  });

  test("GIVEN a generated bootstrap WHEN its files are decoded THEN they are the example server's files, byte for byte", () => {
    const files = writtenFiles(script);
    expect(Object.keys(files).sort()).toEqual([
      "/etc/inference-server/environment",
      "/etc/nginx/conf.d/inference.conf",
      "/etc/nginx/nginx.conf",
      "/etc/systemd/system/inference-server.service",
      "/opt/inference-server/app.py",
      "/opt/inference-server/uwsgi.ini",
    ]);
    for (const [path, name] of [
      ["/opt/inference-server/app.py", "app.py"],
      ["/opt/inference-server/uwsgi.ini", "uwsgi.ini"],
      ["/etc/systemd/system/inference-server.service", "inference-server.service"],
      ["/etc/nginx/nginx.conf", "nginx.conf"],
    ]) {
      expect(files[path]).toBe(readFileSync(join(SERVER_DIR, name), "utf8"));
    }
    expect(files["/etc/inference-server/environment"]).toBe("MODEL_LOAD_SECONDS=5\nMODEL_FIRST_INFERENCE_SECONDS=0.5\n");
  });

  test("GIVEN port 80 WHEN the nginx site is written THEN every placeholder is filled", () => {
    const site = writtenFiles(script)["/etc/nginx/conf.d/inference.conf"];
    expect(site).toContain("listen 80 default_server;");
    expect(site).toContain("uwsgi_pass unix:/run/inference-server/uwsgi.sock;");
    expect(site).not.toContain("@");
    expect(nginxSite("127.0.0.1:8081", "/tmp/s.sock")).not.toMatch(/@[A-Z]+@/);
  });

  test("GIVEN a Stopped warm pool WHEN the instance restarts THEN set-up does not run again and the services start by themselves", () => {
    const lines = script.split("\n");
    const markerCheck = lines.findIndex((l) => l.includes('if [ -f "$marker" ]; then') && l.includes("exit 0"));
    const firstInstall = lines.findIndex((l) => l.startsWith("dnf install"));
    expect(markerCheck).toBeGreaterThan(0);
    expect(markerCheck).toBeLessThan(firstInstall);
    expect(lines[lines.length - 2]).toMatch(/touch "\$marker"$/);
    expect(script).toContain("systemctl enable --now inference-server.service nginx.service");
    const unit = writtenFiles(script)["/etc/systemd/system/inference-server.service"];
    expect(unit).toMatch(/WantedBy=multi-user.target/);
    expect(unit).toMatch(/RuntimeDirectory=inference-server/);
    expect(unit).toMatch(/Restart=always/);
  });

  test("GIVEN the uWSGI config WHEN read THEN every worker loads its own app after fork, one per vCPU by default", () => {
    const ini = readFileSync(join(SERVER_DIR, "uwsgi.ini"), "utf8");
    expect(ini).toMatch(/^lazy-apps = true$/m);
    expect(ini).toMatch(/^processes = %k$/m);
    expect(ini).toMatch(/^socket = \$\(INFERENCE_SOCKET\)$/m);
  });
});
