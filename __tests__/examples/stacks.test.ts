import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { exampleStacks } from "../../examples/stacks";
import { readSynthManifest } from "../../scripts/lib/manifest";
import { REPO_ROOT, removeDir } from "../support/terraform";
import { examplePlanTests } from "../terraform/examples";

const STACK_IDS = Object.keys(exampleStacks).sort();

/** Example stack files in examples/stacks/, by id (file name without .ts). */
function stackFiles(): string[] {
  return readdirSync(join(REPO_ROOT, "examples", "stacks"))
    .filter((file) => file.endsWith(".ts") && file !== "index.ts")
    .map((file) => basename(file, ".ts"))
    .sort();
}

// Every example people copy is listed, synthesized by `npm run synth:examples`, and planned offline
// (__tests__/terraform/examples.test.ts plans them all in one Terraform run and applies each stack's
// own assertions from __tests__/terraform/examples/<id>.ts).
describe("example stacks", () => {
  test("GIVEN examples/stacks/ WHEN listed THEN every file there is in index.ts and has its offline-plan test", () => {
    expect(STACK_IDS).toEqual(stackFiles());
    expect(Object.keys(examplePlanTests).sort()).toEqual(STACK_IDS);
  });

  test("GIVEN the examples app WHEN run as npm run synth:examples runs it THEN it synthesizes every listed stack", () => {
    const outdir = mkdtempSync(join(tmpdir(), "warmfleet-examples-"));
    try {
      execFileSync(process.execPath, ["--import", "tsx", join("examples", "main.ts")], { cwd: REPO_ROOT, env: { ...process.env, CDKTF_OUTDIR: outdir }, stdio: "pipe" });
      expect(Object.keys(readSynthManifest(outdir).stacks).sort()).toEqual(STACK_IDS);
    } finally {
      removeDir(outdir);
    }
  }, 60_000);
});
