import { execFile } from "node:child_process";
import { readFileSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { copyRepository } from "./support/copy-repository";
import { REPO_ROOT, removeDir } from "./support/terraform";

// Atlantis must show no spurious diff: the same commit synthesizes byte-identical Terraform in
// any directory, on any machine. Two copies of the repository, built and synthesized apart.

const run = promisify(execFile);

async function buildAndSynth(copy: string): Promise<void> {
  const env = { ...process.env, CDKTF_OUTDIR: join(copy, "cdktf.out") };
  await run(process.execPath, ["--import", "tsx", "scripts/build-lambdas.ts"], { cwd: copy, env });
  await run(process.execPath, ["--import", "tsx", "main.ts"], { cwd: copy, env });
}

function listFiles(dir: string, prefix = ""): string[] {
  return readdirSync(join(dir, prefix), { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? listFiles(dir, join(prefix, e.name)) : [join(prefix, e.name)],
  );
}

describe("deterministic synth", () => {
  const copies: string[] = [];
  beforeAll(async () => {
    copies.push(copyRepository(), copyRepository());
    // Side by side: each build waits on its own child processes (esbuild, zip, synth).
    await Promise.all(copies.map(buildAndSynth));
  }, 120_000);
  afterAll(() => copies.forEach(removeDir));

  test("GIVEN two checkouts in different directories WHEN each builds and synthesizes THEN cdk.tf.json is byte-identical", () => {
    const [a, b] = copies.map((c) => readFileSync(join(c, "cdktf.out", "stacks", "warmfleet-dev", "cdk.tf.json"), "utf8"));
    expect(a).toBe(b);
    expect(a).not.toContain(copies[0]);
    expect(a).not.toContain(tmpdir());
  });

  test("GIVEN two checkouts WHEN each builds THEN every Lambda bundle, its zip and its asset hash are identical", () => {
    const lambdas = readdirSync(join(REPO_ROOT, "lambdas"), { withFileTypes: true })
      .filter((e) => e.isDirectory() && e.name !== "shared")
      .map((e) => e.name);
    expect(lambdas).toEqual(expect.arrayContaining(["warmup", "warmup-reconciler", "async-request"]));
    for (const name of lambdas) {
      const [bundleA, bundleB] = copies.map((c) => readFileSync(join(c, "dist", "lambdas", name, "index.js")));
      expect(bundleA.equals(bundleB)).toBe(true);
      const [zipA, zipB] = copies.map((c) => readFileSync(join(c, "dist", "lambdas", `${name}.zip`)));
      expect(zipA.equals(zipB)).toBe(true);
    }
    const [assetsA, assetsB] = copies.map((c) => listFiles(join(c, "cdktf.out", "stacks", "warmfleet-dev")).filter((f) => f.startsWith("assets")));
    expect(assetsA).toEqual(assetsB);
    expect(assetsA.sort()).toEqual([
      expect.stringMatching(/^assets\/WarmupReconciler_Bundle_\w+\/[0-9A-F]{32}\/warmup-reconciler\.zip$/),
      expect.stringMatching(/^assets\/Warmup_Bundle_\w+\/[0-9A-F]{32}\/warmup\.zip$/),
    ]);
  });

  test("GIVEN two checkouts WHEN each builds THEN the build stamp is byte-identical and holds relative paths only", () => {
    const [stampA, stampB] = copies.map((c) => readFileSync(join(c, "dist", "lambdas", "warmup.inputs.json"), "utf8"));
    expect(stampA).toBe(stampB);
    expect(stampA).not.toContain(copies[0]);
    expect(stampA).not.toContain(tmpdir());
    const stamp = JSON.parse(stampA) as { inputs: Record<string, string>; files: string[] };
    expect(Object.keys(stamp.inputs)).toEqual(expect.arrayContaining(["lambdas/warmup/handler.ts", "package-lock.json", "scripts/build-lambdas.ts", "modules/internal/zip.ts"]));
    expect(stamp.files).toContain("lambdas/warmup/handler.ts");
  });

  test("GIVEN two checkouts WHEN synthesized THEN both carry the committed provider lock file", () => {
    const [lockA, lockB] = copies.map((c) => readFileSync(join(c, "cdktf.out", "stacks", "warmfleet-dev", ".terraform.lock.hcl"), "utf8"));
    expect(lockA).toBe(lockB);
    expect(lockA).toBe(readFileSync(join(REPO_ROOT, "terraform-locks", "warmfleet-dev.terraform.lock.hcl"), "utf8"));
  });
});
