// Wall time of the app command exactly as cdktf.json states it (what `cdktf synth`, `diff` and
// `deploy` run, through a shell: the Lambda freshness check, then main.ts), for the full default
// stack, each run in fresh processes; and the freshness check's own cost.
//   npm run bench:synth [-- runs]   (default 5 runs; prints each run, the medians and the target)
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";

const TARGET_SECONDS = 1.5;
const runs = Number(process.argv[2] ?? 5);
const root = join(__dirname, "..");
const app = (JSON.parse(readFileSync(join(root, "cdktf.json"), "utf8")) as { app: string }).app;

/** Seconds one run of `command` takes through a shell, as the cdktf CLI runs it (shell: true). */
function timeShell(command: string, env: NodeJS.ProcessEnv): { seconds: number; stderr: string } {
  const start = process.hrtime.bigint();
  const result = spawnSync(command, { cwd: root, env, shell: true, encoding: "utf8", stdio: ["ignore", "inherit", "pipe"] });
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  if (result.status !== 0) {
    process.stderr.write(result.stderr);
    throw new Error(`${command} exited ${result.status ?? result.signal}`);
  }
  return { seconds, stderr: result.stderr };
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

const check = "node scripts/ensure-lambdas.js";
// Untimed: brings the bundle up to date, so the timed runs measure synth, not a rebuild.
const warmup = timeShell(check, process.env);
process.stdout.write(warmup.stderr ? `before timing: ${warmup.stderr.trim()}\n` : "before timing: the Lambda bundle is fresh\n");

const synthTimes: number[] = [];
for (let i = 0; i < runs; i++) {
  const outdir = mkdtempSync(join(tmpdir(), "warmfleet-bench-"));
  try {
    const { seconds, stderr } = timeShell(app, { ...process.env, CDKTF_OUTDIR: outdir });
    if (stderr) process.stderr.write(stderr);
    synthTimes.push(seconds);
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}
const checkTimes = Array.from({ length: runs }, () => timeShell(check, process.env).seconds);

const synthMedian = median(synthTimes);
process.stdout.write(`app command (cdktf.json): ${app}\n`);
process.stdout.write(`synth wall time (s): ${synthTimes.map((t) => t.toFixed(3)).join(" ")}\n`);
process.stdout.write(`median ${synthMedian.toFixed(3)} s, min ${Math.min(...synthTimes).toFixed(3)} s, target <= ${TARGET_SECONDS.toFixed(3)} s: ${synthMedian <= TARGET_SECONDS ? "met" : "NOT met"}\n`);
process.stdout.write(`freshness check alone (${check}), wall time (s): ${checkTimes.map((t) => t.toFixed(3)).join(" ")}; median ${median(checkTimes).toFixed(3)} s\n`);
process.stdout.write(`machine: ${availableParallelism()} cores, Node ${process.version}, load average ${readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ")}\n`);
