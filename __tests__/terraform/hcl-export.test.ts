import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { OfflinePlan } from "../../testing/offline-terraform";
import { PLAN_TIMEOUT_MS, REPO_ROOT, planStack, removeDir, synthMainApp } from "../support/terraform";

// Leaving CDKTF: `cdktf synth --hcl` (npm run synth:hcl) must give plain Terraform that plans to
// the same resource addresses as the JSON the project deploys today, so state carries over as is.
describe("HCL export", () => {
  let hclOut: string | undefined;
  let jsonOut: string | undefined;
  let hcl: OfflinePlan;

  beforeAll(async () => {
    hclOut = mkdtempSync(join(tmpdir(), "warmfleet-hcl-"));
    execFileSync(join(REPO_ROOT, "node_modules", ".bin", "cdktf"), ["synth", "--hcl", "--output", hclOut], {
      cwd: REPO_ROOT,
      env: { ...process.env, CHECKPOINT_DISABLE: "1", CI: "true" },
      stdio: "pipe",
    });
    jsonOut = synthMainApp();
    // The JSON output's addresses are read from cdk.tf.json: planning it again would only repeat
    // default-stack-plan.test.ts.
    hcl = await planStack(hclOut, "warmfleet-dev");
  }, PLAN_TIMEOUT_MS);
  afterAll(() => [hclOut, jsonOut].forEach(removeDir));

  const plannedAddresses = (plan: OfflinePlan) =>
    (plan.plan.resource_changes ?? [])
      .filter((r) => r.mode === "managed")
      .map((r) => r.address)
      .sort();
  const synthesizedAddresses = (outdir: string) => {
    const stack = JSON.parse(readFileSync(join(outdir, "stacks", "warmfleet-dev", "cdk.tf.json"), "utf8")) as { resource: Record<string, Record<string, unknown>> };
    return Object.entries(stack.resource)
      .flatMap(([type, byId]) => Object.keys(byId).map((id) => `${type}.${id}`))
      .sort();
  };

  test("GIVEN the default stack WHEN exported THEN it is plain .tf with its assets and lock file", () => {
    const dir = join(hclOut as string, "stacks", "warmfleet-dev");
    expect(existsSync(join(dir, "cdk.tf"))).toBe(true);
    expect(existsSync(join(dir, "cdk.tf.json"))).toBe(false);
    expect(existsSync(join(dir, ".terraform.lock.hcl"))).toBe(true);
    expect(readFileSync(join(dir, "cdk.tf"), "utf8")).toMatch(/^resource "aws_autoscaling_group" "Fleet_AutoScalingGroup_\w+" \{/m);
  });

  test("GIVEN the exported stack WHEN validated and planned offline THEN it is valid and plans the same addresses as the JSON output", () => {
    expect(hcl.validate.valid).toBe(true);
    expect(plannedAddresses(hcl).length).toBeGreaterThan(50);
    expect(plannedAddresses(hcl)).toEqual(synthesizedAddresses(jsonOut as string));
  });
});
