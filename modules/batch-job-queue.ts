import { Construct } from "constructs";
import { BatchJobQueue as BatchJobQueueResource } from "@cdktf/provider-aws/lib/batch-job-queue";
import { BatchSchedulingPolicy } from "@cdktf/provider-aws/lib/batch-scheduling-policy";
import { BatchPlatform, IBatchComputeEnvironment, platformOfComputeType } from "./batch-compute-environment";
import { requireBatchName } from "./internal/batch-validation";
import { PropValidationError, isUnresolved, requireIntegerInRange } from "./internal/validation";

/** Why a job waits at the head of a RUNNABLE queue: the reasons Batch can act on. */
export enum RunnableReason {
  /** No compute environment has the instance capacity (Spot or on-demand shortage). */
  INSUFFICIENT_INSTANCE_CAPACITY = "CAPACITY:INSUFFICIENT_INSTANCE_CAPACITY",
  /** The job needs more vCPUs than any compute environment's maxVcpus. */
  COMPUTE_ENVIRONMENT_MAX_RESOURCE = "MISCONFIGURATION:COMPUTE_ENVIRONMENT_MAX_RESOURCE",
  /** No compute environment has instance types that meet the job's requirements. */
  JOB_RESOURCE_REQUIREMENT = "MISCONFIGURATION:JOB_RESOURCE_REQUIREMENT",
}

/** One share of a fair-share policy. */
export interface FairShare {
  /** The share identifier jobs are submitted with: letters, digits and underscores, optionally ending with * (a prefix). */
  readonly shareIdentifier: string;
  /** Weight, 0.0001 to 999.9999: a lower weight gets more of the compute. @default 1 */
  readonly weightFactor?: number;
}

/** Fair-share scheduling instead of first in, first out. */
export interface FairShareProps {
  /** Seconds of past usage that count, 0 to 604800. @default 3600 */
  readonly shareDecaySeconds?: number;
  /** Percentage of maxVcpus kept back for share identifiers not yet running, 0 to 99. @default 0 */
  readonly computeReservation?: number;
  /** The shares and their weights. @default - every share identifier weighs 1 */
  readonly shares?: readonly FairShare[];
}

/** What schedules and alarms need of a job queue; BatchJobQueue provides it. */
export interface IBatchJobQueue {
  /** ARN of the queue. */
  readonly jobQueueArn: string;
  /** Name of the queue. */
  readonly jobQueueName: string;
  /** The platform of its compute environments: its jobs' definitions must match it. */
  readonly platform: BatchPlatform;
  /** True when jobs must be submitted with a share identifier (fair-share queue). */
  readonly fairShareScheduling: boolean;
}

export interface BatchJobQueueProps {
  /** Name of the queue, 1 to 128 letters, digits, hyphens and underscores. */
  readonly name: string;
  /** Compute environments in order of preference (e.g. Fargate Spot first, Fargate second), one to three, all Fargate or all EC2. */
  readonly computeEnvironments: readonly IBatchComputeEnvironment[];
  /** Priority among queues sharing compute environments, 0 to 1000 (higher runs first). @default 1 */
  readonly priority?: number;
  /** Seconds a job may wait at the head of the queue for each reason before it is cancelled (600 to 86400); an empty object cancels nothing. @default - 600 for both MISCONFIGURATION reasons, 3600 for INSUFFICIENT_INSTANCE_CAPACITY */
  readonly cancelStuckJobsAfterSeconds?: Readonly<Partial<Record<RunnableReason, number>>>;
  /** Fair-share scheduling; jobs must then be submitted with a share identifier. @default - first in, first out */
  readonly fairShare?: FairShareProps;
  /** Accept new jobs. @default true */
  readonly enabled?: boolean;
  /** Tags added to every resource. @default - no extra tags */
  readonly tags?: Readonly<Record<string, string>>;
}

const DEFAULT_STUCK_JOB_LIMITS: Readonly<Record<RunnableReason, number>> = {
  // A misconfiguration never resolves by waiting: cancel at the earliest Batch allows.
  [RunnableReason.COMPUTE_ENVIRONMENT_MAX_RESOURCE]: 600,
  [RunnableReason.JOB_RESOURCE_REQUIREMENT]: 600,
  // Capacity comes back: wait an hour before giving the next job its turn.
  [RunnableReason.INSUFFICIENT_INSTANCE_CAPACITY]: 3600,
};

/**
 * An AWS Batch job queue over one to three compute environments in order of preference, that
 * cancels jobs stuck in RUNNABLE (a job that cannot start blocks every job behind it), with
 * optional fair-share scheduling.
 */
export class BatchJobQueue extends Construct implements IBatchJobQueue {
  /** ARN of the queue. */
  public readonly jobQueueArn: string;
  /** Name of the queue (known at synth time). */
  public readonly jobQueueName: string;
  /** FARGATE or EC2, from its compute environments. */
  public readonly platform: BatchPlatform;
  /** True when the queue schedules by fair share. */
  public readonly fairShareScheduling: boolean;
  /** ARN of the fair-share scheduling policy, undefined for a first-in, first-out queue. */
  public readonly schedulingPolicyArn?: string;

  constructor(scope: Construct, id: string, props: BatchJobQueueProps) {
    super(scope, id);
    this.platform = validateJobQueueProps(this, props);
    const tags = props.tags ?? {};
    this.schedulingPolicyArn = props.fairShare ? this.schedulingPolicy(props.name, props.fairShare, tags) : undefined;
    this.fairShareScheduling = props.fairShare !== undefined;
    const limits = props.cancelStuckJobsAfterSeconds ?? DEFAULT_STUCK_JOB_LIMITS;
    const queue = new BatchJobQueueResource(this, "JobQueue", {
      name: props.name,
      state: props.enabled === false ? "DISABLED" : "ENABLED",
      priority: props.priority ?? 1,
      schedulingPolicyArn: this.schedulingPolicyArn,
      computeEnvironmentOrder: props.computeEnvironments.map((environment, i) => ({ order: i + 1, computeEnvironment: environment.computeEnvironmentArn })),
      // In the enum's order, so a reordered object literal does not show up as a plan diff.
      jobStateTimeLimitAction: Object.values(RunnableReason)
        .filter((reason) => limits[reason] !== undefined)
        .map((reason) => ({ action: "CANCEL", state: "RUNNABLE", reason, maxTimeSeconds: limits[reason] as number })),
      tags,
    });
    this.jobQueueArn = queue.arn;
    this.jobQueueName = props.name;
  }

  private schedulingPolicy(name: string, fairShare: FairShareProps, tags: Readonly<Record<string, string>>): string {
    return new BatchSchedulingPolicy(this, "SchedulingPolicy", {
      name,
      fairSharePolicy: {
        shareDecaySeconds: fairShare.shareDecaySeconds ?? 3600,
        computeReservation: fairShare.computeReservation ?? 0,
        shareDistribution: fairShare.shares?.map((share) => ({ shareIdentifier: share.shareIdentifier, weightFactor: share.weightFactor ?? 1 })),
      },
      tags,
    }).arn;
  }
}

/** Validates the props and returns the queue's platform. */
function validateJobQueueProps(scope: Construct, props: BatchJobQueueProps): BatchPlatform {
  requireBatchName(scope, "name", props.name, 128);
  requireIntegerInRange(scope, "priority", props.priority, 0, 1000, "use 0 to 1000; queues with higher priority get shared compute first");
  for (const [reason, seconds] of Object.entries(props.cancelStuckJobsAfterSeconds ?? {})) {
    requireIntegerInRange(scope, `cancelStuckJobsAfterSeconds["${reason}"]`, seconds, 600, 86400, "use 600 (10 minutes) to 86400 (24 hours)");
  }
  if (props.fairShare) validateFairShare(scope, props.fairShare);
  return validateComputeEnvironments(scope, props.computeEnvironments);
}

function validateComputeEnvironments(scope: Construct, environments: readonly IBatchComputeEnvironment[]): BatchPlatform {
  if (environments.length < 1 || environments.length > 3) {
    throw new PropValidationError(scope, "computeEnvironments", environments.length, "one to three compute environments", "keep the preferred environment and at most two fallbacks");
  }
  const arns = environments.map((e) => e.computeEnvironmentArn);
  if (new Set(arns).size !== arns.length) {
    throw new PropValidationError(scope, "computeEnvironments", arns, "distinct compute environments", "list each environment once");
  }
  const platforms = environments.map((e) => platformOfComputeType(e.computeType));
  if (new Set(platforms).size > 1) {
    throw new PropValidationError(
      scope,
      "computeEnvironments",
      environments.map((e) => e.computeType),
      "all Fargate (FARGATE, FARGATE_SPOT) or all EC2 (EC2, SPOT): Batch does not mix them in one queue",
      "use one queue per platform",
    );
  }
  return platforms[0];
}

function validateFairShare(scope: Construct, fairShare: FairShareProps): void {
  requireIntegerInRange(scope, "fairShare.shareDecaySeconds", fairShare.shareDecaySeconds, 0, 604800, "use 0 to 604800 seconds (a week)");
  requireIntegerInRange(scope, "fairShare.computeReservation", fairShare.computeReservation, 0, 99, "use 0 to 99 percent");
  for (const [i, share] of (fairShare.shares ?? []).entries()) {
    if (!isUnresolved(share.shareIdentifier) && !/^[A-Za-z0-9_]{1,255}\*?$/.test(share.shareIdentifier)) {
      throw new PropValidationError(scope, `fairShare.shares[${i}].shareIdentifier`, share.shareIdentifier, "letters, digits and underscores, optionally ending with *", 'use e.g. "nightly" or "team_a*"');
    }
    const weight = share.weightFactor;
    if (weight !== undefined && !isUnresolved(weight) && !(weight >= 0.0001 && weight <= 999.9999)) {
      throw new PropValidationError(scope, `fairShare.shares[${i}].weightFactor`, weight, "0.0001 to 999.9999", "use 1 for an even share, less for more compute");
    }
  }
}
