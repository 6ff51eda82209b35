import { Construct } from "constructs";
import { Annotations, AssetType, TerraformAsset } from "cdktf";
import { existsSync } from "node:fs";
import { join, sep } from "node:path";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import { LambdaFunction } from "@cdktf/provider-aws/lib/lambda-function";
import { LambdaFunctionEventInvokeConfig } from "@cdktf/provider-aws/lib/lambda-function-event-invoke-config";
import { SchedulerSchedule } from "@cdktf/provider-aws/lib/scheduler-schedule";
import { SqsQueue } from "@cdktf/provider-aws/lib/sqs-queue";
import { DataAwsCallerIdentity } from "@cdktf/provider-aws/lib/data-aws-caller-identity";
import { lambdaBasics } from "./internal/lambda-basics";
import { policyDocument } from "./internal/policies";
import { PropValidationError, isUnresolved, requireIntegerInRange, requireLogRetentionDays } from "./internal/validation";

/** What the reconciler needs of a warmup path; WarmupHook provides all of it. */
export interface ReconcilableWarmup {
  /** Name of the Auto Scaling group. */
  readonly autoScalingGroupName: string;
  /** Name of its launch lifecycle hook. */
  readonly launchHookName: string;
  /** Heartbeat timeout of that hook in seconds. */
  readonly launchHookHeartbeatTimeoutSeconds: number;
  /** Name of the warmup function the reconciler invokes. */
  readonly functionName: string;
  /** ARN of that function. */
  readonly functionArn: string;
  /** Name of the table of warmup leases. */
  readonly claimsTableName: string;
  /** ARN of that table. */
  readonly claimsTableArn: string;
  /** URL of the warmup path's dead-letter queue. */
  readonly deadLetterQueueUrl: string;
  /** ARN of that queue. */
  readonly deadLetterQueueArn: string;
  /** Namespace of the warmup metrics; the reconciler's go beside them. */
  readonly metricsNamespace: string;
}

export interface WarmupReconcilerProps {
  /** The warmup path to reconcile (a WarmupHook). */
  readonly warmup: ReconcilableWarmup;
  /** Minutes between runs, 1 to 10. @default 1 */
  readonly scheduleMinutes?: number;
  /** Seconds an instance may wait on its launch hook with no warmup holding its lease before the reconciler runs warmup for it, 30 to 3600. @default 120 */
  readonly stuckAfterSeconds?: number;
  /** Function timeout in seconds, 10 to 300. @default 60 */
  readonly timeoutSeconds?: number;
  /** Function memory in MB, 128 to 10240. @default 256 */
  readonly memoryMb?: number;
  /** Days the function's logs are kept. @default 30 */
  readonly logRetentionDays?: number;
  /** Scheduler retries when the function cannot be invoked, 0 to 185. @default 2 */
  readonly retryAttempts?: number;
  /** Run the schedule; false pauses it. @default true */
  readonly enabled?: boolean;
  /** Zip of the built function. @default - dist/lambdas/warmup-reconciler.zip of this package (npm run build) */
  readonly bundle?: string;
  /** Tags added to every resource that takes tags. @default - no extra tags */
  readonly tags?: Readonly<Record<string, string>>;
}

/**
 * Makes scale-out survive lost events: every minute or two, a function outside the VPC lists the
 * group's instances waiting on the launch hook (and the warm pool's), and runs the warmup function
 * for those that have waited longer than a threshold with no warmup holding their lease; it also
 * re-drives the warmup path's dead letters whose instance still waits and deletes the rest. It
 * invokes the same warmup function asynchronously with an event of source
 * "warmfleet.reconciler"; the function's lease makes that and a late event complete an instance
 * once. The schedule has its own role, retries and dead-letter queue.
 */
export class WarmupReconciler extends Construct {
  /** Name of the reconciler function. */
  public readonly functionName: string;
  /** ARN of the reconciler function. */
  public readonly functionArn: string;
  /** Name of its log group. */
  public readonly logGroupName: string;
  /** Name of the schedule (in the default schedule group). */
  public readonly scheduleName: string;
  /** ARN of the schedule. */
  public readonly scheduleArn: string;
  /** Name of the queue of runs Scheduler could not start. */
  public readonly scheduleDeadLetterQueueName: string;
  /** Namespace of the reconciler's metrics (WaitingInstances, StuckInstances, ...). */
  public readonly metricsNamespace: string;
  /** Seconds of waiting after which an instance counts as stuck. */
  public readonly stuckAfterSeconds: number;

  constructor(scope: Construct, id: string, props: WarmupReconcilerProps) {
    super(scope, id);
    validateReconcilerProps(this, props);
    const { warmup } = props;
    const tags = props.tags ?? {};
    const name = `${warmup.autoScalingGroupName}-reconciler`;
    this.stuckAfterSeconds = props.stuckAfterSeconds ?? 120;
    this.metricsNamespace = warmup.metricsNamespace;
    const { logGroup, role, runtimePolicy } = lambdaBasics(this, {
      name,
      description: `Warmup reconciler of ${warmup.autoScalingGroupName}`,
      logRetentionDays: props.logRetentionDays ?? 30,
      tags,
      runtimeStatements: [
        // Neither describe action supports resource-level permissions.
        { sid: "FindWaitingInstances", effect: "Allow", actions: ["autoscaling:DescribeAutoScalingGroups", "autoscaling:DescribeWarmPool"], resources: ["*"] },
        { sid: "ReadLeasesRecordSightings", effect: "Allow", actions: ["dynamodb:GetItem", "dynamodb:UpdateItem"], resources: [warmup.claimsTableArn] },
        { sid: "RunWarmup", effect: "Allow", actions: ["lambda:InvokeFunction"], resources: [warmup.functionArn] },
        { sid: "DeadLetters", effect: "Allow", actions: ["sqs:ReceiveMessage", "sqs:DeleteMessage"], resources: [warmup.deadLetterQueueArn] },
      ],
    });
    this.logGroupName = logGroup.name;
    const bundle = new TerraformAsset(this, "Bundle", { path: requireBundle(this, props.bundle), type: AssetType.FILE });
    const fn = new LambdaFunction(this, "Function", {
      functionName: name,
      description: `Runs warmup for ${warmup.autoScalingGroupName}'s instances left waiting, and re-drives its dead letters`,
      runtime: "nodejs22.x",
      architectures: ["arm64"],
      handler: "index.handler",
      filename: bundle.path,
      sourceCodeHash: bundle.assetHash,
      role: role.arn,
      timeout: props.timeoutSeconds ?? 60,
      memorySize: props.memoryMb ?? 256,
      loggingConfig: { logFormat: "JSON", logGroup: logGroup.name },
      environment: {
        variables: {
          NODE_OPTIONS: "--enable-source-maps",
          RECONCILER_AUTO_SCALING_GROUP_NAME: warmup.autoScalingGroupName,
          RECONCILER_LIFECYCLE_HOOK_NAME: warmup.launchHookName,
          RECONCILER_WARMUP_FUNCTION_NAME: warmup.functionName,
          RECONCILER_CLAIMS_TABLE: warmup.claimsTableName,
          RECONCILER_DEAD_LETTER_QUEUE_URL: warmup.deadLetterQueueUrl,
          RECONCILER_STUCK_AFTER_SECONDS: String(this.stuckAfterSeconds),
          RECONCILER_METRICS_NAMESPACE: warmup.metricsNamespace,
        },
      },
      tags,
      dependsOn: [logGroup, runtimePolicy],
    });
    this.functionName = fn.functionName;
    this.functionArn = fn.arn;
    // A failed run is not retried: the next tick, a minute later, does the same work afresh.
    new LambdaFunctionEventInvokeConfig(this, "AsyncInvokeConfig", { functionName: fn.functionName, maximumRetryAttempts: 0, maximumEventAgeInSeconds: 60 });

    const deadLetters = new SqsQueue(this, "ScheduleDeadLetterQueue", { name: `${name}-schedule-dlq`, messageRetentionSeconds: 1_209_600, sqsManagedSseEnabled: true, tags });
    this.scheduleDeadLetterQueueName = deadLetters.name;
    const scheduler = this.schedulerRole(name, fn, deadLetters, tags);
    const minutes = props.scheduleMinutes ?? 1;
    this.scheduleName = name;
    const schedule = new SchedulerSchedule(this, "Schedule", {
      name,
      description: `Reconciles the warmup of ${warmup.autoScalingGroupName}`,
      scheduleExpression: minutes === 1 ? "rate(1 minute)" : `rate(${minutes} minutes)`,
      state: props.enabled === false ? "DISABLED" : "ENABLED",
      flexibleTimeWindow: { mode: "OFF" },
      target: {
        arn: fn.arn,
        roleArn: scheduler.role.arn,
        input: "{}",
        // A run that starts more than a minute late is overtaken by the next one.
        retryPolicy: { maximumRetryAttempts: props.retryAttempts ?? 2, maximumEventAgeInSeconds: 60 },
        deadLetterConfig: { arn: deadLetters.arn },
      },
      // The first run must find the role allowed to invoke and to write dead letters.
      dependsOn: [scheduler.policy],
    });
    this.scheduleArn = schedule.arn;
  }

  private schedulerRole(name: string, fn: LambdaFunction, deadLetters: SqsQueue, tags: Readonly<Record<string, string>>): { role: IamRole; policy: IamRolePolicy } {
    const account = new DataAwsCallerIdentity(this, "Account").accountId;
    const role = new IamRole(this, "SchedulerRole", {
      name: `${name}-scheduler`,
      description: `EventBridge Scheduler: run ${name}`,
      assumeRolePolicy: policyDocument(this, "SchedulerTrustPolicy", [
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
    const policy = new IamRolePolicy(this, "SchedulerPolicy", {
      name: "run-reconciler",
      role: role.name,
      policy: policyDocument(this, "SchedulerPolicyDocument", [
        { sid: "RunReconciler", effect: "Allow", actions: ["lambda:InvokeFunction"], resources: [fn.arn] },
        // Scheduler writes dead letters with the schedule's own role.
        { sid: "DeadLetters", effect: "Allow", actions: ["sqs:SendMessage"], resources: [deadLetters.arn] },
      ]),
    });
    return { role, policy };
  }
}

function requireBundle(scope: Construct, given: string | undefined): string {
  const bundle = given ?? join(__dirname, "..", "dist", "lambdas", "warmup-reconciler.zip");
  if (!existsSync(bundle)) {
    throw new PropValidationError(
      scope,
      "bundle",
      bundle,
      "the zip of the built reconciler function",
      bundle.includes(`${sep}node_modules${sep}`) ? "the installed warmfleet package is incomplete: reinstall it from the registry or a packed tarball" : "run `npm run build` in the warmfleet repository",
    );
  }
  return bundle;
}

function validateReconcilerProps(scope: Construct, props: WarmupReconcilerProps): void {
  const group = props.warmup.autoScalingGroupName;
  // "<group>-reconciler-scheduler" names an IAM role: 64 characters at most.
  if (!isUnresolved(group) && group.length > 42) {
    throw new PropValidationError(scope, "warmup.autoScalingGroupName", group, "a group name of at most 42 characters (it prefixes the reconciler's function, role and queue names)", "give the fleet a shorter name");
  }
  requireIntegerInRange(scope, "scheduleMinutes", props.scheduleMinutes, 1, 10, "use 1 to 10 minutes: a longer gap leaves stuck instances to the hook's timeout");
  requireIntegerInRange(scope, "stuckAfterSeconds", props.stuckAfterSeconds, 30, 3600, "use 30 to 3600 seconds: longer than an event takes to start warmup, shorter than the hook's heartbeat timeout");
  requireIntegerInRange(scope, "timeoutSeconds", props.timeoutSeconds, 10, 300, "use 10 to 300 seconds");
  requireIntegerInRange(scope, "memoryMb", props.memoryMb, 128, 10240, "use 128 to 10240 MB");
  requireIntegerInRange(scope, "retryAttempts", props.retryAttempts, 0, 185, "use 0 to 185");
  requireLogRetentionDays(scope, "logRetentionDays", props.logRetentionDays);
  const heartbeat = props.warmup.launchHookHeartbeatTimeoutSeconds;
  const actsWithin = (props.stuckAfterSeconds ?? 120) + 60 * (props.scheduleMinutes ?? 1);
  if (!isUnresolved(heartbeat) && actsWithin >= heartbeat) {
    Annotations.of(scope).addWarning(
      `WarmupReconciler: an instance left waiting is reconciled up to ${actsWithin} s after it starts waiting (stuckAfterSeconds + one schedule period), but the launch hook's heartbeat timeout (${heartbeat} s) completes it with its default result first; lower stuckAfterSeconds or raise the hook's heartbeat timeout.`,
    );
  }
}
