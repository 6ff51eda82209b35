// Wall time of synthesizing the default app (main.ts) in a fresh Node process, as `cdktf synth`
// runs it. Usage: npm run bench:synth [-- runs]   (default 5 runs; prints each and the median)
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const runs = Number(process.argv[2] ?? 5);
const root = join(__dirname, "..");
const times: number[] = [];
for (let i = 0; i < runs; i++) {
  const outdir = mkdtempSync(join(tmpdir(), "warmfleet-bench-"));
  const start = process.hrtime.bigint();
  execFileSync(process.execPath, ["--import", "tsx", "main.ts"], { cwd: root, env: { ...process.env, CDKTF_OUTDIR: outdir }, stdio: "inherit" });
  times.push(Number(process.hrtime.bigint() - start) / 1e9);
  rmSync(outdir, { recursive: true, force: true });
}
const sorted = [...times].sort((a, b) => a - b);
const median = sorted[Math.floor(sorted.length / 2)];
process.stdout.write(`synth wall time (s): ${times.map((t) => t.toFixed(3)).join(" ")}\n`);
process.stdout.write(`median ${median.toFixed(3)} s, min ${sorted[0].toFixed(3)} s, target <= 1.500 s: ${median <= 1.5 ? "met" : "NOT met"}\n`);
