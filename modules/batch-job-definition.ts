import { Construct } from "constructs";
import { Annotations } from "cdktf";
import { BatchJobDefinition as BatchJobDefinitionResource } from "@cdktf/provider-aws/lib/batch-job-definition";
import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { DataAwsPartition } from "@cdktf/provider-aws/lib/data-aws-partition";
import { DataAwsRegion } from "@cdktf/provider-aws/lib/data-aws-region";
import { BatchPlatform } from "./batch-compute-environment";
import { IGrantable, ModelStore, PolicyStatement, ResultsStore, RoleGrants, grantModelStoreRead, grantResultsWrite } from "./grants";
import { assumeRolePolicy } from "./internal/policies";
import { requireFargateSize } from "./internal/fargate-resources";
import { RetryCondition, isCatchAll, requireBatchName, requireRetryPattern } from "./internal/batch-validation";
import { requireLogRetentionDays } from "./internal/validation";
import { PropValidationError, isUnresolved, requireIntegerInRange } from "./internal/validation";
import { ecsExecutionRole } from "./internal/ecs-execution-role";
import { jsonencode } from "./internal/jsonencode";

/** What a job does when a retry rule matches. */
export enum RetryAction {
  /** Run the job again (until the attempts are used up). */
  RETRY = "RETRY",
  /** Fail the job now. */
  EXIT = "EXIT",
}

/** CPU architecture of a Fargate job's image. */
export enum CpuArchitecture {
  X86_64 = "X86_64",
  /** Graviton: about 20% cheaper per vCPU-hour on Fargate. */
  ARM64 = "ARM64",
}

/** One evaluate_on_exit entry: all of its given patterns must match for the action to apply. */
export interface RetryRule {
  /** Retry or fail. */
  readonly action: RetryAction;
  /** Glob on the container's exit code, e.g. "137" or "1*". @default - any exit code */
  readonly onExitCode?: string;
  /** Glob on the container's reason, e.g. "CannotPullContainerError*". @default - any reason */
  readonly onReason?: string;
  /** Glob on the job's status reason, e.g. "Host EC2*". @default - any status reason */
  readonly onStatusReason?: string;
}

/** How often and on what a failed job runs again. */
export interface RetryProps {
  /** Attempts in total, 1 to 10 (1 means no retry). @default 3 */
  readonly attempts?: number;
  /** Rules evaluated in order, at most 5; the first match decides, and a job no rule matches is retried. @default DEFAULT_RETRY_RULES */
  readonly rules?: readonly RetryRule[];
}

/**
 * Retry what the infrastructure broke, fail what the application broke: a job that exits with
 * an error of its own would fail the same way again, and its retries would only cost money.
 *
 * Rules are evaluated in order and the first match decides; a failure no rule matches is
 * retried, so the catch-all EXIT comes last. Sources:
 * - AWS Batch User Guide, "Automated job retries" (/batch/latest/userguide/job_retries.html):
 *   AWS's example retries onReason "AGENT" and onStatusReason "Task failed to start", then
 *   exits on onReason "*".
 * - AWS Batch User Guide, "Best practices for AWS Batch" (/batch/latest/userguide/best-practices.html),
 *   "Use Amazon EC2 Spot best practices", custom retries: onStatusReason "Host EC2*" retries a
 *   job whose host (a reclaimed Spot instance) caused the failure, then onReason "*" exits.
 * - Amazon ECS Developer Guide, "Amazon ECS task state change events"
 *   (/AmazonECS/latest/developerguide/ecs_task_events.html): a Fargate Spot task stopped by an
 *   interruption has the stoppedReason "Your Spot Task was interrupted.", the status reason of
 *   the Batch job on that task.
 */
export const DEFAULT_RETRY_RULES: readonly RetryRule[] = [
  // EC2 Spot reclaim or a failed host: "Host EC2 (instance i-...) terminated."
  { action: RetryAction.RETRY, onStatusReason: "Host EC2*" },
  // The ECS agent on the host failed the job (AWS's documented example rule).
  { action: RetryAction.RETRY, onReason: "AGENT" },
  // Fargate Spot reclaim: the stopped reason ECS gives an interrupted Spot task.
  { action: RetryAction.RETRY, onStatusReason: "Your Spot Task was interrupted*" },
  // Start failures (image pull throttled, network interface not ready) are transient.
  { action: RetryAction.RETRY, onStatusReason: "Task failed to start*" },
  // Everything else is the application's own error; last, because the first match decides.
  { action: RetryAction.EXIT, onReason: "*" },
];

/** What a schedule needs of a job definition; BatchJobDefinition provides it. */
export interface IBatchJobDefinition {
  /** ARN without the revision, for IAM statements that hold for every revision. */
  readonly jobDefinitionArnPrefix: string;
  /** Name of the job definition. */
  readonly jobDefinitionName: string;
  /** FARGATE or EC2: the queues it may be submitted to. */
  readonly platform: BatchPlatform;
}

export interface BatchJobDefinitionProps {
  /** Name of the job definition and prefix of its roles and log group, 1 to 50 letters, digits, hyphens and underscores. */
  readonly name: string;
  /** Container image, e.g. "123456789012.dkr.ecr.ap-northeast-1.amazonaws.com/recommender:2024-06-01". */
  readonly image: string;
  /** ECR repository the execution role may pull from. @default - derived from image when it is a literal ECR image; none for other registries */
  readonly ecrRepositoryArn?: string;
  /** Where the job runs: must match its queue's compute environments. @default BatchPlatform.FARGATE */
  readonly platform?: BatchPlatform;
  /** vCPUs of one job; on Fargate one of 0.25, 0.5, 1, 2, 4, 8, 16, 32, on EC2 a whole number. @default 1 */
  readonly vcpus?: number;
  /** Memory of one job in MiB; on Fargate one of the values allowed for vcpus. @default 2048 */
  readonly memoryMiB?: number;
  /** CPU architecture of the image (Fargate only). @default CpuArchitecture.X86_64 */
  readonly cpuArchitecture?: CpuArchitecture;
  /** Task storage in GiB, 21 to 200 (Fargate only). @default - Fargate's 20 GiB */
  readonly ephemeralStorageGiB?: number;
  /** Command, with Ref::<parameter> placeholders for parameters. @default - the image's CMD */
  readonly command?: readonly string[];
  /** Environment variables (names may not start with AWS_BATCH). @default - none */
  readonly environment?: Readonly<Record<string, string>>;
  /** Default values of the command's Ref:: parameters; a submission may override them. @default - none */
  readonly parameters?: Readonly<Record<string, string>>;
  /** Seconds one attempt may run before Batch stops it, at least 60. @default 3600 */
  readonly timeoutSeconds?: number;
  /** Retry strategy. @default - 3 attempts with DEFAULT_RETRY_RULES */
  readonly retry?: RetryProps;
  /** Copy the job's tags to its ECS task. @default true */
  readonly propagateTags?: boolean;
  /** Days the job logs are kept. @default 30 */
  readonly logRetentionDays?: number;
  /** Tags added to every resource. @default - no extra tags */
  readonly tags?: Readonly<Record<string, string>>;
}

/**
 * An AWS Batch container job definition with its own job role (grants added with
 * grantModelStoreRead, grantResultsWrite, addToJobRolePolicy), an execution role that may only
 * pull its image and write its log group, logs with retention, a timeout per attempt, and a retry
 * strategy that retries infrastructure failures and fails application errors.
 */
export class BatchJobDefinition extends Construct implements IBatchJobDefinition, IGrantable {
  /** ARN of the current revision ("...:job-definition/<name>:<revision>"). */
  public readonly jobDefinitionArn: string;
  /** ARN without the revision. */
  public readonly jobDefinitionArnPrefix: string;
  /** Name of the job definition (known at synth time). */
  public readonly jobDefinitionName: string;
  /** FARGATE or EC2. */
  public readonly platform: BatchPlatform;
  /** Name of the role the job's code runs with. */
  public readonly jobRoleName: string;
  /** ARN of the role the job's code runs with. */
  public readonly jobRoleArn: string;
  /** ARN of the role ECS pulls the image and writes logs with. */
  public readonly executionRoleArn: string;
  /** Name of the job's log group. */
  public readonly logGroupName: string;
  /** The container_properties document as registered (role ARNs and the region are tokens until apply). */
  public readonly containerProperties: Readonly<Record<string, unknown>>;
  private readonly grants: RoleGrants;

  constructor(scope: Construct, id: string, props: BatchJobDefinitionProps) {
    super(scope, id);
    this.platform = props.platform ?? BatchPlatform.FARGATE;
    validateJobDefinitionProps(this, props, this.platform);
    this.warnAboutRiskyChoices(props);
    const tags = props.tags ?? {};
    this.jobDefinitionName = props.name;
    const partition = new DataAwsPartition(this, "Partition").partition;
    const region = new DataAwsRegion(this, "Region").name;

    const logGroup = new CloudwatchLogGroup(this, "LogGroup", { name: `/aws/batch/${props.name}`, retentionInDays: props.logRetentionDays ?? 30, tags });
    this.logGroupName = logGroup.name;
    const jobRole = new IamRole(this, "JobRole", {
      name: `${props.name}-job`,
      description: `Code of the Batch job ${props.name}: its grants only`,
      assumeRolePolicy: assumeRolePolicy(this, "JobTrustPolicy", "ecs-tasks.amazonaws.com"),
      tags,
    });
    this.jobRoleName = jobRole.name;
    this.jobRoleArn = jobRole.arn;
    this.grants = new RoleGrants(this, jobRole.name);
    const execution = ecsExecutionRole(this, { name: props.name, description: `ECS for the Batch job ${props.name}: pull its image, write its log group`, image: props.image, ecrRepositoryArn: props.ecrRepositoryArn, logGroupArn: logGroup.arn, partition, tags });
    this.executionRoleArn = execution.role.arn;

    this.containerProperties = this.container(props, this.logGroupName, region);
    const definition = new BatchJobDefinitionResource(this, "JobDefinition", {
      name: props.name,
      type: "container",
      platformCapabilities: [this.platform],
      containerProperties: jsonencode(this.containerProperties),
      parameters: props.parameters ? { ...props.parameters } : undefined,
      timeout: { attemptDurationSeconds: props.timeoutSeconds ?? 3600 },
      retryStrategy: retryStrategy(props.retry ?? {}),
      propagateTags: props.propagateTags ?? true,
      tags,
      // A job submitted right after apply must find the image pull and log permissions in place.
      dependsOn: [execution.policy],
    });
    this.jobDefinitionArn = definition.arn;
    this.jobDefinitionArnPrefix = definition.arnPrefix;
  }

  /** Adds a statement to the job role (queues, tables, APIs the job calls). */
  public addToRolePolicy(statement: PolicyStatement): void {
    this.grants.add(statement);
  }

  /** Lets the job read models from an S3 bucket (a prefix of it, and its KMS key). */
  public grantModelStoreRead(store: ModelStore): void {
    grantModelStoreRead(this, store);
  }

  /** Lets the job write results under a prefix of an S3 bucket (and encrypt with its KMS key). */
  public grantResultsWrite(store: ResultsStore): void {
    grantResultsWrite(this, store);
  }

  /**
   * The container as Batch's RegisterJobDefinition takes it. Every field AWS would otherwise fill
   * in on Fargate (network configuration, platform version, runtime platform) is written out, so
   * the JSON read back after apply matches and plans stay empty.
   */
  private container(props: BatchJobDefinitionProps, logGroupName: string, region: string): Record<string, unknown> {
    const fargate = this.platform === BatchPlatform.FARGATE;
    const environment = Object.entries(props.environment ?? {})
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([name, value]) => ({ name, value }));
    return withoutUndefined({
      image: props.image,
      command: props.command ? [...props.command] : undefined,
      environment: environment.length > 0 ? environment : undefined,
      jobRoleArn: this.jobRoleArn,
      executionRoleArn: this.executionRoleArn,
      resourceRequirements: [
        { type: "VCPU", value: String(props.vcpus ?? 1) },
        { type: "MEMORY", value: String(props.memoryMiB ?? 2048) },
      ],
      logConfiguration: {
        logDriver: "awslogs",
        options: { "awslogs-group": logGroupName, "awslogs-region": region, "awslogs-stream-prefix": props.name },
      },
      // Private subnets reach ECR and S3 through NAT or endpoints, never through a public IP.
      networkConfiguration: fargate ? { assignPublicIp: "DISABLED" } : undefined,
      fargatePlatformConfiguration: fargate ? { platformVersion: "LATEST" } : undefined,
      runtimePlatform: fargate ? { operatingSystemFamily: "LINUX", cpuArchitecture: props.cpuArchitecture ?? CpuArchitecture.X86_64 } : undefined,
      ephemeralStorage: props.ephemeralStorageGiB === undefined ? undefined : { sizeInGiB: props.ephemeralStorageGiB },
    });
  }

  private warnAboutRiskyChoices(props: BatchJobDefinitionProps): void {
    const rules = props.retry?.rules ?? DEFAULT_RETRY_RULES;
    const endsWithCatchAll = rules.some((rule) => rule.action === RetryAction.EXIT && [rule.onExitCode, rule.onReason, rule.onStatusReason].some(isCatchAll));
    if ((props.retry?.attempts ?? 3) > 1 && !endsWithCatchAll) {
      Annotations.of(this).addWarning(
        `BatchJobDefinition ${props.name}: no retry rule exits on "*", and Batch retries every failure no rule matches, application errors included. Add { action: RetryAction.EXIT, onReason: "*" } as the last rule.`,
      );
    }
    if (props.ecrRepositoryArn === undefined && isUnresolved(props.image)) {
      Annotations.of(this).addWarning(
        `BatchJobDefinition ${props.name}: the image is only known at apply time, so no ECR pull permission was derived from it. Set ecrRepositoryArn if it is an ECR image.`,
      );
    }
  }
}

/** The object without its undefined fields (they are left out of the registered JSON anyway). */
function withoutUndefined(object: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(object).filter(([, value]) => value !== undefined));
}

function retryStrategy(retry: RetryProps) {
  return {
    attempts: retry.attempts ?? 3,
    evaluateOnExit: (retry.rules ?? DEFAULT_RETRY_RULES).map((rule) => ({
      action: rule.action,
      onExitCode: rule.onExitCode,
      onReason: rule.onReason,
      onStatusReason: rule.onStatusReason,
    })),
  };
}

function validateJobDefinitionProps(scope: Construct, props: BatchJobDefinitionProps, platform: BatchPlatform): void {
  // 50 keeps "<name>-execution" within IAM's 64-character role names.
  requireBatchName(scope, "name", props.name, 50);
  if (!isUnresolved(props.image) && props.image.trim() === "") {
    throw new PropValidationError(scope, "image", props.image, "a container image reference", "pass <registry>/<repository>:<tag> or @sha256:<digest>");
  }
  validateResources(scope, props, platform);
  requireWholeNumber(scope, "timeoutSeconds", props.timeoutSeconds, 60, "set the longest one attempt may run, at least 60 seconds (Batch's minimum), e.g. 7200 for two hours");
  validateRetry(scope, props.retry);
  validateEnvironment(scope, props.environment ?? {});
  requireLogRetentionDays(scope, "logRetentionDays", props.logRetentionDays);
}

function validateResources(scope: Construct, props: BatchJobDefinitionProps, platform: BatchPlatform): void {
  const vcpus = props.vcpus ?? 1;
  const memory = props.memoryMiB ?? 2048;
  if (platform === BatchPlatform.FARGATE) {
    requireFargateSize(scope, vcpus, memory);
    requireIntegerInRange(scope, "ephemeralStorageGiB", props.ephemeralStorageGiB, 21, 200, "use 21 to 200 GiB, or leave it out for Fargate's 20 GiB");
    return;
  }
  requireWholeNumber(scope, "vcpus", vcpus, 1, "use a whole number of vCPUs on EC2, at least 1");
  requireWholeNumber(scope, "memoryMiB", memory, 4, "use at least 4 MiB, and less than the instances' memory");
  for (const [prop, value] of [["cpuArchitecture", props.cpuArchitecture], ["ephemeralStorageGiB", props.ephemeralStorageGiB]] as const) {
    if (value !== undefined) {
      throw new PropValidationError(scope, prop, value, "only with BatchPlatform.FARGATE (on EC2 the instance decides)", `remove ${prop}`);
    }
  }
}

function validateRetry(scope: Construct, retry: RetryProps | undefined): void {
  if (!retry) return;
  requireIntegerInRange(scope, "retry.attempts", retry.attempts, 1, 10, "use 1 (no retry) to 10 attempts");
  const rules = retry.rules ?? DEFAULT_RETRY_RULES;
  if (rules.length > 5) {
    throw new PropValidationError(scope, "retry.rules", rules.length, "at most 5 rules", "merge rules with a common prefix into one pattern ending with *");
  }
  for (const [i, rule] of rules.entries()) {
    const conditions = (["onExitCode", "onReason", "onStatusReason"] as const).filter((c) => rule[c] !== undefined);
    if (conditions.length === 0) {
      throw new PropValidationError(scope, `retry.rules[${i}]`, rule, "a rule with onExitCode, onReason or onStatusReason", 'add a pattern; "*" matches everything');
    }
    conditions.forEach((condition: RetryCondition) => requireRetryPattern(scope, `retry.rules[${i}].${condition}`, condition, rule[condition] as string));
  }
}

function validateEnvironment(scope: Construct, environment: Readonly<Record<string, string>>): void {
  for (const [name, value] of Object.entries(environment)) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name) || name.startsWith("AWS_BATCH")) {
      throw new PropValidationError(scope, "environment", name, "names of letters, digits and underscores, not starting with AWS_BATCH (reserved by Batch)", "rename the variable");
    }
    // Batch drops empty values, so the job would not see the variable at all.
    if (!isUnresolved(value) && value === "") {
      throw new PropValidationError(scope, `environment.${name}`, value, "a non-empty value", "leave the variable out instead");
    }
  }
}

/** A whole number of at least `min` (no upper limit of its own); unresolved values pass. */
function requireWholeNumber(scope: Construct, prop: string, value: number | undefined, min: number, fix: string): void {
  if (value === undefined || isUnresolved(value) || (Number.isInteger(value) && value >= min)) return;
  throw new PropValidationError(scope, prop, value, `a whole number, at least ${min}`, fix);
}
