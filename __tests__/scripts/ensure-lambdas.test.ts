import { execFileSync, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { cpSync, existsSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { copyRepository } from "../support/copy-repository";
import { REPO_ROOT } from "../support/terraform";

// `cdktf synth` / `diff` / `deploy` run cdktf.json's app command, with no build step of their own:
// the command must rebuild a Lambda whose sources changed, and only then. One copy of the
// repository, built once; the steps below run in order and each starts from the previous one.
// About 3 plain CLI synths (a few seconds each) and 2 builds: 20 to 40 s on 2 cores.

const ZIP = join("dist", "lambdas", "warmup.zip");
const SOURCE = join("lambdas", "warmup", "process-event.ts");
// A log message: it reaches the minified bundle (a comment would not).
const OLD_STRING = '"nothing to do"';
const NEW_STRING = '"nothing to do: already completed"';
const REBUILD_LINE = /ensure-lambdas: rebuilt Lambda warmup \(lambdas\/warmup\/process-event\.ts changed\)/;

interface Run {
  readonly status: number | null;
  /** The CLI relays the app's stderr as log lines on its own stdout: read both. */
  readonly output: string;
}

function run(copy: string, command: string, args: string[]): Run {
  const env: NodeJS.ProcessEnv = { ...process.env, CHECKPOINT_DISABLE: "1", CI: "1" };
  delete env.CDKTF_OUTDIR;
  const result = spawnSync(command, args, { cwd: copy, env, encoding: "utf8", timeout: 60_000 });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

/** The plain CLI, as a developer runs it: no npm script, no build first. */
function cdktfSynth(copy: string): Run {
  const result = run(copy, join(copy, "node_modules", ".bin", "cdktf"), ["synth"]);
  if (result.status !== 0) throw new Error(`cdktf synth exited ${result.status}:\n${result.output}`);
  return result;
}

/** cdktf.json's app command run through a shell, exactly as the CLI runs it (without the CLI's own start-up). */
function appCommand(copy: string): Run {
  const { app } = JSON.parse(readFileSync(join(copy, "cdktf.json"), "utf8")) as { app: string };
  const result = spawnSync("sh", ["-c", app], { cwd: copy, env: { ...process.env, CDKTF_OUTDIR: join(copy, "cdktf.out") }, encoding: "utf8", timeout: 60_000 });
  if (result.status !== 0) throw new Error(`${app} exited ${result.status}:\n${result.stdout}${result.stderr}`);
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

function ensureLambdas(copy: string, ...args: string[]): Run {
  return run(copy, process.execPath, ["scripts/ensure-lambdas.js", ...args]);
}

/** source_code_hash and filename of the warmup function in the synthesized default stack. */
function warmupFunction(copy: string): { sourceCodeHash: string; filename: string } {
  const stack = JSON.parse(readFileSync(join(copy, "cdktf.out", "stacks", "warmfleet-dev", "cdk.tf.json"), "utf8"));
  const functions = Object.entries(stack.resource.aws_lambda_function as Record<string, { source_code_hash: string; filename: string }>)
    .filter(([id]) => id.startsWith("Warmup_Function_"))
    .map(([, fn]) => fn);
  expect(functions).toHaveLength(1);
  return { sourceCodeHash: functions[0].source_code_hash, filename: functions[0].filename };
}

const md5 = (bytes: Buffer): string => createHash("md5").update(bytes).digest("hex").toUpperCase();

describe("ensure-lambdas: the app command rebuilds a stale Lambda bundle", () => {
  let copy: string;
  let built: { zip: Buffer; mtimeMs: number };
  let firstSynth: Run;
  let first: { sourceCodeHash: string; filename: string };
  let second: { sourceCodeHash: string; filename: string };
  let afterRebuild: { zip: Buffer; mtimeMs: number };

  const zipState = (): { zip: Buffer; mtimeMs: number } => ({ zip: readFileSync(join(copy, ZIP)), mtimeMs: statSync(join(copy, ZIP)).mtimeMs });

  beforeAll(() => {
    copy = copyRepository("warmfleet-ensure-");
    // The suite's own build, when it is there, saves building again; the check rebuilds it if not fresh.
    if (existsSync(join(REPO_ROOT, "dist", "lambdas"))) cpSync(join(REPO_ROOT, "dist", "lambdas"), join(copy, "dist", "lambdas"), { recursive: true });
    execFileSync(process.execPath, ["scripts/ensure-lambdas.js"], { cwd: copy, stdio: "pipe" });
    built = zipState();
    firstSynth = cdktfSynth(copy);
    first = warmupFunction(copy);
  }, 120_000);
  afterAll(() => copy && rmSync(copy, { recursive: true, force: true }));

  test("GIVEN a fresh build WHEN the plain cdktf synth runs THEN it packages that zip without rebuilding", () => {
    expect(firstSynth.output).not.toMatch(/ensure-lambdas/);
    expect(zipState().mtimeMs).toBe(built.mtimeMs);
    expect(first.sourceCodeHash).toBe(md5(built.zip));
  });

  test("GIVEN a fresh build WHEN ensure-lambdas --check runs THEN it exits 0 and prints nothing", () => {
    const check = ensureLambdas(copy, "--check");
    expect(check).toEqual({ status: 0, output: "" });
  });

  test("GIVEN a log message changed in lambdas/warmup WHEN ensure-lambdas --check runs THEN it exits 1 naming the Lambda, the file and npm run build, and builds nothing", () => {
    const source = readFileSync(join(copy, SOURCE), "utf8");
    expect(source).toContain(OLD_STRING);
    writeFileSync(join(copy, SOURCE), source.replace(OLD_STRING, NEW_STRING));

    const check = ensureLambdas(copy, "--check");
    expect(check.status).toBe(1);
    expect(check.output).toMatch(/Lambda warmup is stale/);
    expect(check.output).toContain("lambdas/warmup/process-event.ts changed");
    expect(check.output).toContain("Fix: npm run build");
    expect(zipState().mtimeMs).toBe(built.mtimeMs);
  });

  test("GIVEN that change WHEN the plain cdktf synth runs THEN it rebuilds the bundle, says why, and the asset hash changes", () => {
    const synth = cdktfSynth(copy);
    expect(synth.output).toMatch(REBUILD_LINE);
    afterRebuild = zipState();
    expect(afterRebuild.zip.equals(built.zip)).toBe(false);
    expect(readFileSync(join(copy, "dist", "lambdas", "warmup", "index.js"), "utf8")).toContain(NEW_STRING);
    second = warmupFunction(copy);
    expect(second.sourceCodeHash).not.toBe(first.sourceCodeHash);
    expect(second.sourceCodeHash).toBe(md5(afterRebuild.zip));
    expect(second.filename).toContain(second.sourceCodeHash);
    expect(ensureLambdas(copy, "--check").status).toBe(0);
  }, 60_000);

  test("GIVEN nothing changed since WHEN the app command runs again THEN nothing is rebuilt", () => {
    const synth = appCommand(copy);
    expect(synth.output).not.toMatch(/ensure-lambdas/);
    expect(zipState().mtimeMs).toBe(afterRebuild.mtimeMs);
    expect(warmupFunction(copy)).toEqual(second);
  }, 60_000);

  test("GIVEN a new file under lambdas/warmup WHEN --check runs THEN it is stale until the file is gone again", () => {
    const added = join(copy, "lambdas", "warmup", "extra.ts");
    writeFileSync(added, "export const extra = 1;\n");
    const check = ensureLambdas(copy, "--check");
    expect(check.status).toBe(1);
    expect(check.output).toContain("lambdas/warmup/extra.ts added");
    rmSync(added);
    expect(ensureLambdas(copy, "--check").status).toBe(0);
  });

  test("GIVEN the zip or its stamp removed WHEN --check runs THEN it is stale and says which", () => {
    const stamp = join(copy, "dist", "lambdas", "warmup.inputs.json");
    const stampText = readFileSync(stamp);
    rmSync(stamp);
    expect(ensureLambdas(copy, "--check")).toMatchObject({ status: 1, output: expect.stringContaining("dist/lambdas/warmup.inputs.json missing") });
    writeFileSync(stamp, stampText);
    rmSync(join(copy, ZIP));
    expect(ensureLambdas(copy, "--check")).toMatchObject({ status: 1, output: expect.stringContaining("dist/lambdas/warmup.zip missing") });
  });
});
