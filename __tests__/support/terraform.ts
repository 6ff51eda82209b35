import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { App } from "cdktf";
import { startLoopbackAws } from "../../testing/loopback-aws";
import { OfflinePlan, StackPlan, offlinePlan, offlinePlanStacks } from "../../testing/offline-terraform";

export const REPO_ROOT = join(__dirname, "..", "..");

/** Terraform plans start several provider processes; give them room on 2 cores. */
export const PLAN_TIMEOUT_MS = 180_000;

/** Runs the real app entry point (main.ts) into a temporary cdktf.out and returns its path. */
export function synthMainApp(): string {
  const outdir = mkdtempSync(join(tmpdir(), "warmfleet-synth-"));
  execFileSync(process.execPath, ["--import", "tsx", "main.ts"], {
    cwd: REPO_ROOT,
    env: { ...process.env, CDKTF_OUTDIR: outdir },
    stdio: "pipe",
  });
  return outdir;
}

/** Synthesizes stacks built by `build` into a temporary directory and returns its path. */
export function synthApp(build: (app: App) => void): string {
  const outdir = mkdtempSync(join(tmpdir(), "warmfleet-synth-"));
  const app = new App({ outdir });
  build(app);
  app.synth();
  return outdir;
}

/** Offline init/validate/plan of one synthesized stack, with a loopback AWS answering data sources. */
export async function planStack(outdir: string, stack: string): Promise<OfflinePlan> {
  const aws = await startLoopbackAws();
  try {
    return await offlinePlan(join(outdir, "stacks", stack), { endpoint: aws.url });
  } finally {
    await aws.close();
  }
}

export function removeDir(dir: string | undefined): void {
  if (dir) rmSync(dir, { recursive: true, force: true });
}

/** Offline init and plan of several synthesized stacks in one Terraform run, by id -> stack directory. */
export async function planStacks(stackDirs: Readonly<Record<string, string>>): Promise<Record<string, StackPlan>> {
  const aws = await startLoopbackAws();
  try {
    return await offlinePlanStacks(stackDirs, { endpoint: aws.url });
  } finally {
    await aws.close();
  }
}
