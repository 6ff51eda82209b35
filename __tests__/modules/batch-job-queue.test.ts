import { Construct } from "constructs";
import { BatchJobQueue as BatchJobQueueResource } from "@cdktf/provider-aws/lib/batch-job-queue";
import { BatchSchedulingPolicy } from "@cdktf/provider-aws/lib/batch-scheduling-policy";
import { BatchComputeEnvironment, BatchComputeType, BatchPlatform, IBatchComputeEnvironment } from "../../modules/batch-compute-environment";
import { BatchJobQueue, BatchJobQueueProps, RunnableReason } from "../../modules/batch-job-queue";
import { count, single, synth } from "../support/synth";

const arn = (name: string) => `arn:aws:batch:ap-northeast-1:123456789012:compute-environment/${name}`;
const fargateSpot: IBatchComputeEnvironment = { computeEnvironmentArn: arn("spot"), computeType: BatchComputeType.FARGATE_SPOT };
const fargate: IBatchComputeEnvironment = { computeEnvironmentArn: arn("on-demand"), computeType: BatchComputeType.FARGATE };
const ec2Spot: IBatchComputeEnvironment = { computeEnvironmentArn: arn("ec2-spot"), computeType: BatchComputeType.SPOT };
const ec2: IBatchComputeEnvironment = { computeEnvironmentArn: arn("ec2"), computeType: BatchComputeType.EC2 };

function queue(overrides: Partial<BatchJobQueueProps> = {}) {
  let built: BatchJobQueue | undefined;
  const result = synth((scope: Construct) => {
    built = new BatchJobQueue(scope, "Queue", { name: "nightly", computeEnvironments: [fargateSpot, fargate], ...overrides });
  });
  return { ...result, queue: built as BatchJobQueue };
}

describe("BatchJobQueue", () => {
  test("GIVEN Fargate Spot then Fargate WHEN synthesized THEN the queue tries them in that order", () => {
    const { text, queue: q } = queue();
    expect(text).toHaveResourceWithProperties(BatchJobQueueResource, {
      name: "nightly",
      state: "ENABLED",
      priority: 1,
      compute_environment_order: [
        { order: 1, compute_environment: arn("spot") },
        { order: 2, compute_environment: arn("on-demand") },
      ],
    });
    expect(q.platform).toBe(BatchPlatform.FARGATE);
    expect(q.jobQueueName).toBe("nightly");
    expect(q.fairShareScheduling).toBe(false);
  });

  test("GIVEN defaults WHEN synthesized THEN jobs stuck in RUNNABLE are cancelled: misconfigurations after 10 minutes, missing capacity after an hour", () => {
    expect(single(queue().json, "aws_batch_job_queue").job_state_time_limit_action).toEqual([
      { action: "CANCEL", state: "RUNNABLE", reason: "CAPACITY:INSUFFICIENT_INSTANCE_CAPACITY", max_time_seconds: 3600 },
      { action: "CANCEL", state: "RUNNABLE", reason: "MISCONFIGURATION:COMPUTE_ENVIRONMENT_MAX_RESOURCE", max_time_seconds: 600 },
      { action: "CANCEL", state: "RUNNABLE", reason: "MISCONFIGURATION:JOB_RESOURCE_REQUIREMENT", max_time_seconds: 600 },
    ]);
  });

  test("GIVEN custom time limits in any key order WHEN synthesized THEN only those reasons, in the enum's order", () => {
    const limits = { [RunnableReason.JOB_RESOURCE_REQUIREMENT]: 900, [RunnableReason.INSUFFICIENT_INSTANCE_CAPACITY]: 7200 };
    expect(single(queue({ cancelStuckJobsAfterSeconds: limits }).json, "aws_batch_job_queue").job_state_time_limit_action).toEqual([
      { action: "CANCEL", state: "RUNNABLE", reason: "CAPACITY:INSUFFICIENT_INSTANCE_CAPACITY", max_time_seconds: 7200 },
      { action: "CANCEL", state: "RUNNABLE", reason: "MISCONFIGURATION:JOB_RESOURCE_REQUIREMENT", max_time_seconds: 900 },
    ]);
  });

  test("GIVEN an empty time-limit object WHEN synthesized THEN no job is ever cancelled", () => {
    expect(single(queue({ cancelStuckJobsAfterSeconds: {} }).json, "aws_batch_job_queue").job_state_time_limit_action).toEqual([]);
  });

  test("GIVEN priority, disabled and tags WHEN synthesized THEN the queue follows them", () => {
    expect(queue({ priority: 50, enabled: false, tags: { Team: "ml" } }).text).toHaveResourceWithProperties(BatchJobQueueResource, {
      priority: 50,
      state: "DISABLED",
      tags: { Team: "ml" },
    });
  });

  test("GIVEN EC2 Spot then EC2 WHEN synthesized THEN it is an EC2 queue", () => {
    expect(queue({ computeEnvironments: [ec2Spot, ec2] }).queue.platform).toBe(BatchPlatform.EC2);
  });

  test("GIVEN the construct WHEN passed as compute environment THEN its ARN is ordered", () => {
    const { json } = synth((scope: Construct) => {
      const ce = new BatchComputeEnvironment(scope, "Compute", { name: "nightly", vpcId: "vpc-1", subnetIds: ["subnet-a"] });
      new BatchJobQueue(scope, "Queue", { name: "nightly", computeEnvironments: [ce] });
    });
    expect(single(json, "aws_batch_job_queue").compute_environment_order).toEqual([
      { order: 1, compute_environment: expect.stringMatching(/^\$\{aws_batch_compute_environment\.Compute_ComputeEnvironment_\w+\.arn\}$/) },
    ]);
  });

  test("GIVEN no fair share WHEN synthesized THEN no scheduling policy", () => {
    const { json } = queue();
    expect(count(json, "aws_batch_scheduling_policy")).toBe(0);
    expect(single(json, "aws_batch_job_queue").scheduling_policy_arn).toBeUndefined();
  });

  test("GIVEN fair share WHEN synthesized THEN a scheduling policy with the shares is attached", () => {
    const { text, json, queue: q } = queue({ fairShare: { shareDecaySeconds: 7200, computeReservation: 10, shares: [{ shareIdentifier: "nightly", weightFactor: 0.5 }, { shareIdentifier: "adhoc*" }] } });
    expect(text).toHaveResourceWithProperties(BatchSchedulingPolicy, {
      name: "nightly",
      fair_share_policy: {
        share_decay_seconds: 7200,
        compute_reservation: 10,
        share_distribution: [
          { share_identifier: "nightly", weight_factor: 0.5 },
          { share_identifier: "adhoc*", weight_factor: 1 },
        ],
      },
    });
    expect(single(json, "aws_batch_job_queue").scheduling_policy_arn).toMatch(/aws_batch_scheduling_policy\.Queue_SchedulingPolicy_\w+\.arn/);
    expect(q.fairShareScheduling).toBe(true);
    expect(q.schedulingPolicyArn).toBeDefined();
  });

  describe("validation", () => {
    test.each<[string, Partial<BatchJobQueueProps>, RegExp]>([
      ["Fargate and EC2 mixed", { computeEnvironments: [fargateSpot, ec2] }, /invalid computeEnvironments = \["FARGATE_SPOT","EC2"\]\. Allowed: all Fargate \(FARGATE, FARGATE_SPOT\) or all EC2/],
      ["no compute environment", { computeEnvironments: [] }, /invalid computeEnvironments = 0\. Allowed: one to three compute environments/],
      ["four compute environments", { computeEnvironments: [ec2, ec2Spot, { ...ec2, computeEnvironmentArn: arn("x") }, { ...ec2, computeEnvironmentArn: arn("y") }] }, /invalid computeEnvironments = 4/],
      ["the same environment twice", { computeEnvironments: [fargate, fargate] }, /Allowed: distinct compute environments/],
      ["a priority over 1000", { priority: 1001 }, /invalid priority = 1001\. Allowed: an integer from 0 to 1000/],
      ["a time limit under 10 minutes", { cancelStuckJobsAfterSeconds: { [RunnableReason.INSUFFICIENT_INSTANCE_CAPACITY]: 300 } }, /invalid cancelStuckJobsAfterSeconds\["CAPACITY:INSUFFICIENT_INSTANCE_CAPACITY"\] = 300\. Allowed: an integer from 600 to 86400/],
      ["a time limit over a day", { cancelStuckJobsAfterSeconds: { [RunnableReason.JOB_RESOURCE_REQUIREMENT]: 90000 } }, /= 90000\. Allowed: an integer from 600 to 86400/],
      ["a name with a space", { name: "nightly batch" }, /invalid name = "nightly batch"/],
      ["a share decay over a week", { fairShare: { shareDecaySeconds: 604801 } }, /invalid fairShare\.shareDecaySeconds = 604801/],
      ["a compute reservation of 100", { fairShare: { computeReservation: 100 } }, /invalid fairShare\.computeReservation = 100\. Allowed: an integer from 0 to 99/],
      ["a share identifier with a hyphen", { fairShare: { shares: [{ shareIdentifier: "team-a" }] } }, /invalid fairShare\.shares\[0\]\.shareIdentifier = "team-a"/],
      ["a zero weight", { fairShare: { shares: [{ shareIdentifier: "a", weightFactor: 0 }] } }, /invalid fairShare\.shares\[0\]\.weightFactor = 0\. Allowed: 0\.0001 to 999\.9999/],
    ])("GIVEN %s WHEN synthesized THEN it is refused", (_, overrides, message) => {
      expect(() => queue(overrides)).toThrow(message);
    });

    test("GIVEN an error WHEN thrown THEN it names the construct and its path", () => {
      expect(() => queue({ priority: -1 })).toThrow(/^BatchJobQueue \(\S+\/Queue\): invalid priority = -1/);
    });
  });
});
