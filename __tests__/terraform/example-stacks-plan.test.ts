import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { OfflinePlan, countByType, resourcesOfType } from "../../testing/offline-terraform";
import { readSynthManifest } from "../../scripts/lib/manifest";
import { exampleStacks } from "../../examples/stacks";
import { PLAN_TIMEOUT_MS, REPO_ROOT, planStack, removeDir } from "../support/terraform";

const STACK_IDS = Object.keys(exampleStacks);

/** Runs the examples app (examples/main.ts) as `npm run synth:examples` does, into a temporary directory. */
function synthExamples(): string {
  const outdir = mkdtempSync(join(tmpdir(), "warmfleet-examples-"));
  execFileSync(process.execPath, ["--import", "tsx", join("examples", "main.ts")], { cwd: REPO_ROOT, env: { ...process.env, CDKTF_OUTDIR: outdir }, stdio: "pipe" });
  return outdir;
}

/** Example stack files in examples/stacks/, by id (file name without .ts). */
function stackFiles(): string[] {
  return readdirSync(join(REPO_ROOT, "examples", "stacks"))
    .filter((file) => file.endsWith(".ts") && file !== "index.ts")
    .map((file) => basename(file, ".ts"));
}

function after(plan: OfflinePlan, type: string): Record<string, any> {
  const [resource, ...rest] = resourcesOfType(plan.plan, type);
  expect(rest).toHaveLength(0);
  return resource.change.after as Record<string, any>;
}

// Examples people copy must be valid Terraform, not only well-formed JSON: every one is planned.
describe("example stacks: terraform init, validate and offline plan", () => {
  let outdir: string | undefined;
  let synthesized: string[];
  const plans: Record<string, OfflinePlan> = {};

  beforeAll(async () => {
    outdir = synthExamples();
    synthesized = Object.keys(readSynthManifest(outdir).stacks);
    // One at a time: each plan runs the provider, and two cores have no room for more.
    for (const id of synthesized) plans[id] = await planStack(outdir, id);
  }, STACK_IDS.length * PLAN_TIMEOUT_MS);
  afterAll(() => removeDir(outdir));

  test("GIVEN examples/stacks/ WHEN the examples app is synthesized THEN every file there is a listed, synthesized and planned stack", () => {
    expect([...STACK_IDS].sort()).toEqual(stackFiles().sort());
    expect([...synthesized].sort()).toEqual([...STACK_IDS].sort());
    for (const id of STACK_IDS) expect(plans[id]?.validate).toMatchObject({ valid: true, error_count: 0 });
  });

  test("GIVEN the warm fleet WHEN planned THEN it creates a VPC, a Stopped warm pool held by the launch hook, and the warmup path", () => {
    const plan = plans["warm-fleet"];
    const actions = (plan.plan.resource_changes ?? []).filter((r) => r.mode === "managed").map((r) => r.change.actions.join(","));
    expect(new Set(actions)).toEqual(new Set(["create"]));
    expect(countByType(plan.plan)).toMatchObject({ aws_vpc: 1, aws_nat_gateway: 1, aws_vpc_endpoint: 3, aws_lb: 1, aws_lambda_function: 1, aws_cloudwatch_event_rule: 1 });
    const group = after(plan, "aws_autoscaling_group");
    expect(group.warm_pool[0]).toMatchObject({ pool_state: "Stopped", min_size: 1 });
    expect(group.initial_lifecycle_hook).toEqual([expect.objectContaining({ name: "warm-fleet-launch", default_result: "ABANDON" })]);
    expect(after(plan, "aws_lambda_function").environment[0].variables).toMatchObject({ WARMUP_AUTO_SCALING_GROUP_NAME: "warm-fleet" });
  });

  test("GIVEN an existing VPC, HTTPS and a Hibernated pool WHEN planned THEN no network is created and hibernation is configured", () => {
    const plan = plans["existing-vpc-https"];
    const counts = countByType(plan.plan);
    expect(counts.aws_vpc).toBeUndefined();
    expect(counts.aws_lb_listener).toBe(2);
    const template = after(plan, "aws_launch_template");
    expect(template.hibernation_options).toEqual([{ configured: true }]);
    expect(template.instance_type).toBe("c6i.8xlarge");
    const group = after(plan, "aws_autoscaling_group");
    expect(group.vpc_zone_identifier).toEqual(["subnet-p1", "subnet-p2"]);
    expect(group.warm_pool[0].pool_state).toBe("Hibernated");
  });

  test("GIVEN a Spot fleet over three AZs WHEN planned THEN a mixed instances policy, capacity rebalance, three NAT gateways and an internal ALB", () => {
    const plan = plans["spot-fleet"];
    expect(countByType(plan.plan)).toMatchObject({ aws_nat_gateway: 3, aws_subnet: 6, aws_autoscaling_policy: 1 });
    const group = after(plan, "aws_autoscaling_group");
    expect(group.capacity_rebalance).toBe(true);
    expect(group.warm_pool).toEqual([]);
    expect(group.mixed_instances_policy[0].launch_template[0].override.map((o: { instance_type: string }) => o.instance_type)).toEqual([
      "c6i.xlarge",
      "c6a.xlarge",
      "c7i.xlarge",
    ]);
    expect(after(plan, "aws_lb")).toMatchObject({ internal: true });
  });
});
