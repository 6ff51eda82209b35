import { Construct } from "constructs";
import { App, LocalBackend, TerraformStack } from "cdktf";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { OfflinePlan, countByType, resourcesOfType } from "../../testing/offline-terraform";
import { BatchComputeEnvironment, BatchComputeType, BatchJobDefinition, BatchJobQueue, BatchPlatform, BatchSchedule } from "../../modules";
import { NightlyBatchStack } from "../../examples/stacks/nightly-batch";
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

// The example stack copied by teams who schedule batch inference, and the EC2 variant of the
// same constructs, through terraform init, validate and an offline plan.
describe("scheduled batch inference: terraform validate and offline plan", () => {
  let outdir: string | undefined;
  const plans: Record<string, OfflinePlan> = {};

  beforeAll(async () => {
    outdir = synthApp((app: App) => {
      new NightlyBatchStack(app, "nightly-batch");
      new Ec2BatchStack(app, "weekly-batch");
    });
    for (const id of ["nightly-batch", "weekly-batch"]) plans[id] = await planStack(outdir, id);
  }, 2 * PLAN_TIMEOUT_MS);
  afterAll(() => removeDir(outdir));

  test("GIVEN both stacks WHEN validated and planned THEN Terraform reports no error and only creates", () => {
    for (const plan of Object.values(plans)) {
      expect(plan.validate).toMatchObject({ valid: true, error_count: 0 });
      const actions = (plan.plan.resource_changes ?? []).filter((r) => r.mode === "managed").map((r) => r.change.actions.join(","));
      expect(new Set(actions)).toEqual(new Set(["create"]));
    }
  });

  test("GIVEN the nightly example WHEN planned THEN it holds the Batch, Scheduler and alerting resources", () => {
    expect(countByType(plans["nightly-batch"].plan)).toMatchObject({
      aws_batch_compute_environment: 2,
      aws_batch_job_queue: 1,
      aws_batch_job_definition: 1,
      aws_scheduler_schedule: 1,
      aws_sqs_queue: 1,
      aws_cloudwatch_metric_alarm: 1,
      aws_cloudwatch_event_rule: 1,
      aws_sns_topic: 1,
      aws_iam_role: 3,
      aws_security_group: 2,
    });
  });

  test("GIVEN the nightly example WHEN planned THEN Fargate Spot and Fargate environments are replaceable by name prefix", () => {
    const environments = after(plans["nightly-batch"], "aws_batch_compute_environment");
    expect(environments.map((e) => [e.compute_environment_name_prefix, e.compute_resources[0].type]).sort()).toEqual([
      ["nightly-batch-fargate-", "FARGATE"],
      ["nightly-batch-fargate-spot-", "FARGATE_SPOT"],
    ]);
    const [queue] = after(plans["nightly-batch"], "aws_batch_job_queue");
    expect(queue.compute_environment_order.map((o: { order: number }) => o.order)).toEqual([1, 2]);
    expect(queue.job_state_time_limit_action).toHaveLength(3);
  });

  test("GIVEN the nightly example WHEN planned THEN the schedule submits at 02:00 Tokyo time with plain-JSON input", () => {
    const [schedule] = after(plans["nightly-batch"], "aws_scheduler_schedule");
    expect(schedule).toMatchObject({ schedule_expression: "cron(0 2 * * ? *)", schedule_expression_timezone: "Asia/Tokyo", flexible_time_window: [{ mode: "FLEXIBLE", maximum_window_in_minutes: 15 }] });
    expect(schedule.target[0].arn).toBe("arn:aws:scheduler:::aws-sdk:batch:submitJob");
    expect(JSON.parse(schedule.target[0].input)).toEqual({
      JobName: "nightly-batch",
      JobQueue: "nightly-batch",
      JobDefinition: "nightly-batch",
      Parameters: { run_date: "<aws.scheduler.scheduled-time>" },
    });
    const [definition] = after(plans["nightly-batch"], "aws_batch_job_definition");
    expect(definition).toMatchObject({ platform_capabilities: ["FARGATE"], timeout: [{ attempt_duration_seconds: 7200 }], retry_strategy: [expect.objectContaining({ attempts: 3 })] });
  });

  test("GIVEN the EC2 variant WHEN planned THEN Spot C6i at 80% with AL2023 and a launch template, a fair-share queue and an EC2 job", () => {
    const plan = plans["weekly-batch"];
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
});
