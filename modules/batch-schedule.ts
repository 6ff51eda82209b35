import { Construct } from "constructs";
import { SchedulerSchedule } from "@cdktf/provider-aws/lib/scheduler-schedule";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import { SqsQueue } from "@cdktf/provider-aws/lib/sqs-queue";
import { DataAwsCallerIdentity } from "@cdktf/provider-aws/lib/data-aws-caller-identity";
import { DataAwsPartition } from "@cdktf/provider-aws/lib/data-aws-partition";
import { IBatchJobDefinition } from "./batch-job-definition";
import { IBatchJobQueue } from "./batch-job-queue";
import { policyDocument } from "./internal/policies";
import { requireScheduleExpression, requireTimeZone } from "./internal/schedule-expression";
import { requireBatchName } from "./internal/batch-validation";
import { PropValidationError, isUnresolved, requireIntegerInRange } from "./internal/validation";

/** What alarms need of a schedule; BatchSchedule provides it. */
export interface IBatchScheduleDeadLetters {
  /** Name of the schedule. */
  readonly scheduleName: string;
  /** Name of the SQS queue that receives the submissions Scheduler gave up on. */
  readonly deadLetterQueueName: string;
}

export interface BatchScheduleProps {
  /** Name of the schedule, default job name and prefix of its role and dead-letter queue; 1 to 50 letters, digits, hyphens and underscores. */
  readonly name: string;
  /** The queue jobs are submitted to. */
  readonly jobQueue: IBatchJobQueue;
  /** The job definition jobs are submitted with; its platform must match the queue's. */
  readonly jobDefinition: IBatchJobDefinition;
  /** When to submit: "cron(minutes hours day-of-month month day-of-week year)" or "rate(<n> <unit>)", e.g. "cron(0 2 * * ? *)" for 02:00 every day. */
  readonly expression: string;
  /** IANA time zone the cron expression is read in, with its daylight saving time. @default "UTC" */
  readonly timeZone?: string;
  /** Minutes Scheduler may delay a submission to spread load, 1 to 1440. @default - off: the job is submitted at the scheduled minute */
  readonly flexibleWindowMinutes?: number;
  /** Name of the submitted jobs. @default - the schedule's name */
  readonly jobName?: string;
  /** Values of the definition's Ref:: parameters; Scheduler fills context attributes such as "<aws.scheduler.scheduled-time>". @default - the definition's defaults */
  readonly parameters?: Readonly<Record<string, string>>;
  /** Share identifier of the jobs; required for (and only for) a fair-share queue. @default - none */
  readonly shareIdentifier?: string;
  /** Retries when SubmitJob fails (throttling, a disabled queue), 0 to 185. @default 3 */
  readonly retryAttempts?: number;
  /** Seconds after the scheduled time Scheduler stops retrying, 60 to 86400. @default 3600 */
  readonly maxEventAgeSeconds?: number;
  /** Submit jobs; false pauses the schedule. @default true */
  readonly enabled?: boolean;
  /** Tags added to the role and the dead-letter queue (schedules take no tags). @default - no extra tags */
  readonly tags?: Readonly<Record<string, string>>;
}

/** The universal target that calls Batch's SubmitJob API. */
const SUBMIT_JOB_ACTION = "aws-sdk:batch:submitJob";

/**
 * An EventBridge Scheduler schedule that submits a Batch job through the universal target
 * (`arn:aws:scheduler:::aws-sdk:batch:submitJob`): no Lambda in between. It retries failed
 * submissions, puts the ones it gives up on in a dead-letter queue, and runs as a role that may
 * submit to this queue with this job definition only.
 */
export class BatchSchedule extends Construct implements IBatchScheduleDeadLetters {
  /** Name of the schedule (in the default schedule group). */
  public readonly scheduleName: string;
  /** ARN of the schedule. */
  public readonly scheduleArn: string;
  /** ARN of the role Scheduler submits jobs as. */
  public readonly roleArn: string;
  /** ARN of the dead-letter queue. */
  public readonly deadLetterQueueArn: string;
  /** Name of the dead-letter queue. */
  public readonly deadLetterQueueName: string;
  /**
   * The SubmitJob request Scheduler sends, with the API's member names in PascalCase as the
   * universal target expects them. The queue and definition are named, not referenced by ARN:
   * the input is plain JSON known at synth time, and the job runs the definition's latest
   * active revision, so a new revision needs no schedule change.
   */
  public readonly submitJobInput: Readonly<Record<string, unknown>>;

  constructor(scope: Construct, id: string, props: BatchScheduleProps) {
    super(scope, id);
    validateScheduleProps(this, props);
    const tags = props.tags ?? {};
    this.scheduleName = props.name;
    const partition = new DataAwsPartition(this, "Partition").partition;
    const account = new DataAwsCallerIdentity(this, "Account").accountId;

    const deadLetters = new SqsQueue(this, "DeadLetterQueue", {
      name: `${props.name}-dlq`,
      messageRetentionSeconds: 1_209_600,
      sqsManagedSseEnabled: true,
      tags,
    });
    this.deadLetterQueueArn = deadLetters.arn;
    this.deadLetterQueueName = deadLetters.name;
    const { role, policy } = this.role(props, deadLetters, account, tags);
    this.roleArn = role.arn;

    this.submitJobInput = submitJobInput(props);
    const schedule = new SchedulerSchedule(this, "Schedule", {
      name: props.name,
      description: `Submits ${props.jobDefinition.jobDefinitionName} to ${props.jobQueue.jobQueueName}`,
      scheduleExpression: props.expression,
      scheduleExpressionTimezone: props.timeZone ?? "UTC",
      state: props.enabled === false ? "DISABLED" : "ENABLED",
      flexibleTimeWindow:
        props.flexibleWindowMinutes === undefined ? { mode: "OFF" } : { mode: "FLEXIBLE", maximumWindowInMinutes: props.flexibleWindowMinutes },
      target: {
        arn: `arn:${partition}:scheduler:::${SUBMIT_JOB_ACTION}`,
        roleArn: role.arn,
        // Plain JSON of literals (Terraform's jsonencode would escape the < and > of context
        // attributes such as <aws.scheduler.scheduled-time> as \u003c and \u003e).
        input: JSON.stringify(this.submitJobInput),
        retryPolicy: { maximumRetryAttempts: props.retryAttempts ?? 3, maximumEventAgeInSeconds: props.maxEventAgeSeconds ?? 3600 },
        deadLetterConfig: { arn: deadLetters.arn },
      },
      // The first run must find the role allowed to submit and to write dead letters.
      dependsOn: [policy],
    });
    this.scheduleArn = schedule.arn;
  }

  private role(props: BatchScheduleProps, deadLetters: SqsQueue, account: string, tags: Readonly<Record<string, string>>) {
    const role = new IamRole(this, "Role", {
      name: `${props.name}-scheduler`,
      description: `EventBridge Scheduler: submit ${props.jobDefinition.jobDefinitionName} to ${props.jobQueue.jobQueueName}`,
      assumeRolePolicy: policyDocument(this, "TrustPolicy", [
        {
          effect: "Allow",
          actions: ["sts:AssumeRole"],
          principals: [{ type: "Service", identifiers: ["scheduler.amazonaws.com"] }],
          // Only schedules of this account may use the role (confused deputy).
          condition: [{ test: "StringEquals", variable: "aws:SourceAccount", values: [account] }],
        },
      ]),
      tags,
    });
    const policy = new IamRolePolicy(this, "Policy", {
      name: "submit-job",
      role: role.name,
      policy: policyDocument(this, "PolicyDocument", [
        {
          sid: "SubmitThisJobToThisQueue",
          effect: "Allow",
          actions: ["batch:SubmitJob"],
          // SubmitJob is authorized against the revision it resolves the name to: every revision.
          resources: [props.jobQueue.jobQueueArn, `${props.jobDefinition.jobDefinitionArnPrefix}:*`],
        },
        // Scheduler writes dead letters with the schedule's own role.
        { sid: "DeadLetters", effect: "Allow", actions: ["sqs:SendMessage"], resources: [deadLetters.arn] },
      ]),
    });
    return { role, policy };
  }
}

/** The SubmitJob request, PascalCase as the universal target passes it to the API. */
function submitJobInput(props: BatchScheduleProps): Record<string, unknown> {
  const input: Record<string, unknown> = {
    JobName: props.jobName ?? props.name,
    JobQueue: props.jobQueue.jobQueueName,
    JobDefinition: props.jobDefinition.jobDefinitionName,
  };
  if (props.parameters && Object.keys(props.parameters).length > 0) input.Parameters = { ...props.parameters };
  if (props.shareIdentifier !== undefined) input.ShareIdentifier = props.shareIdentifier;
  return input;
}

function validateScheduleProps(scope: Construct, props: BatchScheduleProps): void {
  // 50 keeps "<name>-scheduler" within IAM's 64-character role names.
  requireBatchName(scope, "name", props.name, 50);
  if (props.jobName !== undefined) requireBatchName(scope, "jobName", props.jobName, 128);
  requireScheduleExpression(scope, "expression", props.expression);
  requireTimeZone(scope, "timeZone", props.timeZone ?? "UTC");
  requireIntegerInRange(scope, "flexibleWindowMinutes", props.flexibleWindowMinutes, 1, 1440, "use 1 to 1440 minutes, or leave it out to submit on the minute");
  requireIntegerInRange(scope, "retryAttempts", props.retryAttempts, 0, 185, "use 0 to 185");
  requireIntegerInRange(scope, "maxEventAgeSeconds", props.maxEventAgeSeconds, 60, 86400, "use 60 to 86400 seconds");
  const { jobQueue, jobDefinition } = props;
  if (jobQueue.platform !== jobDefinition.platform) {
    throw new PropValidationError(
      scope,
      "jobDefinition",
      jobDefinition.jobDefinitionName,
      `a ${jobQueue.platform} job definition, like the compute environments of queue ${jobQueue.jobQueueName}`,
      `use a job definition with platform BatchPlatform.${jobQueue.platform}, or a ${jobDefinition.platform} queue`,
    );
  }
  validateShareIdentifier(scope, props);
  const literals: Array<[string, string]> = [
    ["jobQueue.jobQueueName", jobQueue.jobQueueName],
    ["jobDefinition.jobDefinitionName", jobDefinition.jobDefinitionName],
    ...Object.entries(props.parameters ?? {}).flatMap(([name, value]): Array<[string, string]> => [["parameters", name], [`parameters.${name}`, value]]),
  ];
  for (const [prop, value] of literals) {
    if (isUnresolved(value)) {
      throw new PropValidationError(scope, prop, value, "a value known at synth time: the schedule's input is plain JSON", "pass the literal name or value");
    }
  }
}

function validateShareIdentifier(scope: Construct, props: BatchScheduleProps): void {
  const { jobQueue, shareIdentifier } = props;
  if (jobQueue.fairShareScheduling && shareIdentifier === undefined) {
    throw new PropValidationError(scope, "shareIdentifier", undefined, `a share identifier: queue ${jobQueue.jobQueueName} schedules by fair share and refuses jobs without one`, "set shareIdentifier to one of the queue's shares");
  }
  if (!jobQueue.fairShareScheduling && shareIdentifier !== undefined) {
    throw new PropValidationError(scope, "shareIdentifier", shareIdentifier, `no share identifier: queue ${jobQueue.jobQueueName} is first in, first out`, "remove shareIdentifier, or give the queue a fairShare policy");
  }
  if (shareIdentifier !== undefined && !isUnresolved(shareIdentifier) && !/^[A-Za-z0-9_]{1,255}$/.test(shareIdentifier)) {
    throw new PropValidationError(scope, "shareIdentifier", shareIdentifier, "1 to 255 letters, digits and underscores", "use the identifier without wildcards");
  }
}
