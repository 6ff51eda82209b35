import { execFileSync } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readFileSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { REPO_ROOT, removeDir } from "./support/terraform";

// Atlantis must show no spurious diff: the same commit synthesizes byte-identical Terraform in
// any directory, on any machine. Two copies of the repository, built and synthesized apart.
function copyRepository(): string {
  const copy = mkdtempSync(join(tmpdir(), "warmfleet-copy-"));
  const files = execFileSync("git", ["ls-files", "--cached", "--others", "--exclude-standard"], { cwd: REPO_ROOT }).toString().split("\n").filter(Boolean);
  for (const file of files) {
    mkdirSync(dirname(join(copy, file)), { recursive: true });
    cpSync(join(REPO_ROOT, file), join(copy, file));
  }
  // Hard links: a real node_modules tree in each copy, as `npm ci` would leave, without the download.
  execFileSync("cp", ["-al", join(REPO_ROOT, "node_modules"), join(copy, "node_modules")]);
  return copy;
}

function buildAndSynth(copy: string): void {
  const env = { ...process.env, CDKTF_OUTDIR: join(copy, "cdktf.out") };
  execFileSync(process.execPath, ["--import", "tsx", "scripts/build-lambdas.ts"], { cwd: copy, env, stdio: "pipe" });
  execFileSync(process.execPath, ["--import", "tsx", "main.ts"], { cwd: copy, env, stdio: "pipe" });
}

function listFiles(dir: string, prefix = ""): string[] {
  return readdirSync(join(dir, prefix), { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? listFiles(dir, join(prefix, e.name)) : [join(prefix, e.name)],
  );
}

describe("deterministic synth", () => {
  const copies: string[] = [];
  beforeAll(() => {
    copies.push(copyRepository(), copyRepository());
    copies.forEach(buildAndSynth);
  }, 120_000);
  afterAll(() => copies.forEach(removeDir));

  test("GIVEN two checkouts in different directories WHEN each builds and synthesizes THEN cdk.tf.json is byte-identical", () => {
    const [a, b] = copies.map((c) => readFileSync(join(c, "cdktf.out", "stacks", "warmfleet-dev", "cdk.tf.json"), "utf8"));
    expect(a).toBe(b);
    expect(a).not.toContain(copies[0]);
    expect(a).not.toContain(tmpdir());
  });

  test("GIVEN two checkouts WHEN each builds THEN the Lambda bundle, its zip and its asset hash are identical", () => {
    const [bundleA, bundleB] = copies.map((c) => readFileSync(join(c, "dist", "lambdas", "warmup", "index.js")));
    expect(bundleA.equals(bundleB)).toBe(true);
    const [zipA, zipB] = copies.map((c) => readFileSync(join(c, "dist", "lambdas", "warmup.zip")));
    expect(zipA.equals(zipB)).toBe(true);
    const [assetsA, assetsB] = copies.map((c) => listFiles(join(c, "cdktf.out", "stacks", "warmfleet-dev")).filter((f) => f.startsWith("assets")));
    expect(assetsA).toEqual(assetsB);
    expect(assetsA).toEqual([expect.stringMatching(/^assets\/Warmup_Bundle_\w+\/[0-9A-F]{32}\/warmup\.zip$/)]);
  });

  test("GIVEN two checkouts WHEN synthesized THEN both carry the committed provider lock file", () => {
    const [lockA, lockB] = copies.map((c) => readFileSync(join(c, "cdktf.out", "stacks", "warmfleet-dev", ".terraform.lock.hcl"), "utf8"));
    expect(lockA).toBe(lockB);
    expect(lockA).toBe(readFileSync(join(REPO_ROOT, "terraform-locks", "warmfleet-dev.terraform.lock.hcl"), "utf8"));
  });
});
