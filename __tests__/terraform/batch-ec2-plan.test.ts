import { Construct } from "constructs";
import { App, LocalBackend, TerraformStack } from "cdktf";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { OfflinePlan, countByType, resourcesOfType } from "../../testing/offline-terraform";
import { BatchComputeEnvironment, BatchComputeType, BatchJobDefinition, BatchJobQueue, BatchPlatform, BatchSchedule } from "../../modules";
import { PLAN_TIMEOUT_MS, planStack, removeDir, synthApp } from "../support/terraform";

/** The EC2 side the example does not use: Spot then on-demand C6i with a launch template, an EC2 job. */
class Ec2BatchStack extends TerraformStack {
  constructor(scope: Construct, id: string) {
    super(scope, id);
    new AwsProvider(this, "aws", { region: "eu-central-1" });
    new LocalBackend(this, { path: `terraform.${id}.tfstate` });
    const network = { vpcId: "vpc-0abc", subnetIds: ["subnet-p1", "subnet-p2"], maxVcpus: 64 };
    const spot = new BatchComputeEnvironment(this, "SpotCompute", { name: id, computeType: BatchComputeType.SPOT, ...network, ec2: { minVcpus: 0, bidPercentage: 80 } });
    const onDemand = new BatchComputeEnvironment(this, "OnDemandCompute", { name: id, computeType: BatchComputeType.EC2, ...network });
    const queue = new BatchJobQueue(this, "Queue", { name: id, computeEnvironments: [spot, onDemand], fairShare: { shares: [{ shareIdentifier: "weekly" }] } });
    const job = new BatchJobDefinition(this, "Job", { name: id, platform: BatchPlatform.EC2, image: "public.ecr.aws/docker/library/python:3.12", vcpus: 8, memoryMiB: 15000 });
    new BatchSchedule(this, "Schedule", { name: id, jobQueue: queue, jobDefinition: job, expression: "cron(0 3 ? * SUN *)", timeZone: "Europe/Berlin", shareIdentifier: "weekly" });
  }
}

function after(plan: OfflinePlan, type: string): Array<Record<string, any>> {
  return resourcesOfType(plan.plan, type).map((r) => r.change.after as Record<string, any>);
}

// The EC2 side of the batch constructs (the Fargate side is the nightly-batch example, planned in
// __tests__/terraform/examples/nightly-batch.test.ts) through terraform validate and an offline plan.
describe("batch on EC2: terraform validate and offline plan", () => {
  let outdir: string | undefined;
  let plan: OfflinePlan;

  beforeAll(async () => {
    outdir = synthApp((app: App) => new Ec2BatchStack(app, "weekly-batch"));
    plan = await planStack(outdir, "weekly-batch");
  }, PLAN_TIMEOUT_MS);
  afterAll(() => removeDir(outdir));

  test("GIVEN the EC2 variant WHEN validated and planned THEN Terraform reports no error and only creates", () => {
    expect(plan.validate).toMatchObject({ valid: true, error_count: 0 });
    const actions = (plan.plan.resource_changes ?? []).filter((r) => r.mode === "managed").map((r) => r.change.actions.join(","));
    expect(new Set(actions)).toEqual(new Set(["create"]));
  });

  test("GIVEN the EC2 variant WHEN planned THEN Spot C6i at 80% with AL2023 and a launch template, a fair-share queue and an EC2 job", () => {
    expect(countByType(plan.plan)).toMatchObject({ aws_batch_compute_environment: 2, aws_launch_template: 2, aws_iam_instance_profile: 2, aws_batch_scheduling_policy: 1 });
    const spot = after(plan, "aws_batch_compute_environment").find((e) => e.compute_resources[0].type === "SPOT");
    expect(spot?.compute_resources[0]).toMatchObject({
      allocation_strategy: "SPOT_PRICE_CAPACITY_OPTIMIZED",
      bid_percentage: 80,
      instance_type: ["c6i"],
      ec2_configuration: [expect.objectContaining({ image_type: "ECS_AL2023" })],
    });
    const [schedule] = after(plan, "aws_scheduler_schedule");
    expect(JSON.parse(schedule.target[0].input)).toMatchObject({ ShareIdentifier: "weekly" });
  });

  test("GIVEN the EC2 variant WHEN planned THEN each instance role gets the inline ECS agent policy and no AWS-managed policy", () => {
    expect(countByType(plan.plan).aws_iam_role_policy_attachment).toBeUndefined();
    expect(after(plan, "aws_iam_role_policy").filter((policy) => policy.name === "ecs-agent")).toHaveLength(2);
  });
});
