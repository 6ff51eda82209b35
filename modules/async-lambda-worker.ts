import { Construct } from "constructs";
import { Annotations, AssetType, TerraformAsset } from "cdktf";
import { LambdaFunction } from "@cdktf/provider-aws/lib/lambda-function";
import { LambdaEventSourceMapping } from "@cdktf/provider-aws/lib/lambda-event-source-mapping";
import { ASYNC_WORKER_ENV } from "./async-contract";
import { IAsyncRequestQueue } from "./async-request-queue";
import { IAsyncResultsTable } from "./async-results-table";
import { IGrantable, PolicyStatement, RoleGrants } from "./grants";
import { requireLogRetentionDays } from "./internal/validation";
import { requireQueueName, stageCode } from "./internal/async-validation";
import { lambdaBasics } from "./internal/lambda-basics";
import { PropValidationError, isUnresolved, requireIntegerInRange } from "./internal/validation";

/** Runtime of a Lambda worker. */
export enum WorkerRuntime {
  PYTHON_3_12 = "python3.12",
  PYTHON_3_13 = "python3.13",
  NODEJS_22 = "nodejs22.x",
}

/** Instruction set of a Lambda function. */
export enum LambdaArchitecture {
  X86_64 = "x86_64",
  /** Graviton: about 20% cheaper per GB-second. */
  ARM64 = "arm64",
}

export interface AsyncLambdaWorkerProps {
  /** Name of the function and prefix of its role and log group, 1 to 56 letters, digits, hyphens and underscores. */
  readonly name: string;
  /** The queue the function consumes. */
  readonly queue: IAsyncRequestQueue;
  /** The table results are written to. */
  readonly table: IAsyncResultsTable;
  /** The function's code: a .zip file, or a directory zipped deterministically at synth (dotfiles and __pycache__ left out). */
  readonly code: string;
  /** Handler, e.g. "lambda_worker.handler". */
  readonly handler: string;
  /** Runtime. @default WorkerRuntime.PYTHON_3_13 */
  readonly runtime?: WorkerRuntime;
  /** Instruction set. @default LambdaArchitecture.ARM64 */
  readonly architecture?: LambdaArchitecture;
  /** Function timeout in seconds, 1 to 900; the queue's visibility timeout must be at least 6 times it. @default - the queue's worstCaseProcessingSeconds */
  readonly timeoutSeconds?: number;
  /** Function memory in MB, 128 to 10240. @default 1024 */
  readonly memoryMb?: number;
  /** Reserved concurrency of the function, at least 2; maximumConcurrency may not exceed it. @default - unreserved (shares the account's pool) */
  readonly reservedConcurrency?: number;
  /** Most concurrent invocations the queue's event source mapping starts, 2 to 1000, at most reservedConcurrency. @default - reservedConcurrency, or 10 without one */
  readonly maximumConcurrency?: number;
  /** Messages per invocation, 1 to 10000 (above 10 needs a batching window). @default 1 */
  readonly batchSize?: number;
  /** Seconds Lambda gathers messages before it invokes, 0 to 300. @default 0 */
  readonly batchingWindowSeconds?: number;
  /** Extra environment variables (the ASYNC_* contract variables are set by the construct). @default - none */
  readonly environment?: Readonly<Record<string, string>>;
  /** Days the function's logs are kept. @default 30 */
  readonly logRetentionDays?: number;
  /** Tags added to every resource. @default - no extra tags */
  readonly tags?: Readonly<Record<string, string>>;
}

/**
 * A Lambda function that works the request queue through an event source mapping whose
 * maximum_concurrency stays at or below the function's reserved concurrency: Lambda never
 * receives more messages than it can run, so no message is throttled back into the queue and
 * counted toward maxReceiveCount (the dead-letter flood of a throttled SQS consumer). Failed
 * messages are reported one by one (ReportBatchItemFailures); the role may consume this queue,
 * update results in this table and publish completions, nothing else.
 */
export class AsyncLambdaWorker extends Construct implements IGrantable {
  /** Name of the function. */
  public readonly functionName: string;
  /** ARN of the function. */
  public readonly functionArn: string;
  /** Name of the function's IAM role. */
  public readonly roleName: string;
  /** Name of the function's log group. */
  public readonly logGroupName: string;
  /** UUID of the event source mapping. */
  public readonly eventSourceMappingUuid: string;
  /** Function timeout in seconds. */
  public readonly timeoutSeconds: number;
  /** The event source mapping's maximum concurrency. */
  public readonly maximumConcurrency: number;
  /** Reserved concurrency, when set. */
  public readonly reservedConcurrency?: number;
  private readonly grants: RoleGrants;

  constructor(scope: Construct, id: string, props: AsyncLambdaWorkerProps) {
    super(scope, id);
    this.timeoutSeconds = props.timeoutSeconds ?? props.queue.worstCaseProcessingSeconds;
    this.reservedConcurrency = props.reservedConcurrency;
    this.maximumConcurrency = props.maximumConcurrency ?? props.reservedConcurrency ?? 10;
    validateWorkerProps(this, props, this.timeoutSeconds, this.maximumConcurrency);
    const tags = props.tags ?? {};
    this.functionName = props.name;
    const { logGroup, role, runtimePolicy } = lambdaBasics(this, { name: props.name, description: `Async worker ${props.name}: consume its queue, write results, publish completions`, logRetentionDays: props.logRetentionDays ?? 30, tags });
    this.logGroupName = logGroup.name;
    this.roleName = role.name;
    this.grants = new RoleGrants(this, role.name);
    props.queue.grantConsume(this);
    props.table.grantWriteResults(this);
    props.queue.grantPublishCompletions(this);

    const code = new TerraformAsset(this, "Code", {
      path: stageCode(this, "code", props.code, "pass the path of the worker's .zip file or of the directory holding its handler"),
      type: AssetType.FILE,
    });
    const grants = this.grants.resource ? [this.grants.resource] : [];
    const fn = new LambdaFunction(this, "Function", {
      functionName: props.name,
      description: "Asynchronous inference worker (SQS event source, partial batch failures)",
      runtime: props.runtime ?? WorkerRuntime.PYTHON_3_13,
      architectures: [props.architecture ?? LambdaArchitecture.ARM64],
      handler: props.handler,
      filename: code.path,
      sourceCodeHash: code.assetHash,
      role: role.arn,
      timeout: this.timeoutSeconds,
      memorySize: props.memoryMb ?? 1024,
      reservedConcurrentExecutions: props.reservedConcurrency,
      loggingConfig: { logFormat: "JSON", logGroup: logGroup.name },
      environment: {
        variables: {
          ...props.environment,
          [ASYNC_WORKER_ENV.queueUrl]: props.queue.queueUrl,
          [ASYNC_WORKER_ENV.tableName]: props.table.tableName,
          [ASYNC_WORKER_ENV.completionTopicArn]: props.queue.completionsTopicArn,
          [ASYNC_WORKER_ENV.visibilityTimeoutSeconds]: String(props.queue.visibilityTimeoutSeconds),
          [ASYNC_WORKER_ENV.resultTtlSeconds]: String(props.table.resultTtlSeconds),
        },
      },
      tags,
      dependsOn: [logGroup, runtimePolicy, ...grants],
    });
    this.functionArn = fn.arn;
    const mapping = new LambdaEventSourceMapping(this, "QueueEventSource", {
      eventSourceArn: props.queue.queueArn,
      functionName: fn.arn,
      batchSize: props.batchSize ?? 1,
      maximumBatchingWindowInSeconds: props.batchingWindowSeconds ?? 0,
      functionResponseTypes: ["ReportBatchItemFailures"],
      scalingConfig: { maximumConcurrency: this.maximumConcurrency },
      tags,
      // CreateEventSourceMapping checks that the role may receive from the queue.
      dependsOn: grants,
    });
    this.eventSourceMappingUuid = mapping.uuid;
  }

  /** Adds a statement to the function's role (a model bucket, say). */
  public addToRolePolicy(statement: PolicyStatement): void {
    this.grants.add(statement);
  }
}

function validateWorkerProps(scope: Construct, props: AsyncLambdaWorkerProps, timeout: number, maximumConcurrency: number): void {
  requireQueueName(scope, "name", props.name, 56);
  if (!isUnresolved(props.handler) && !/^[A-Za-z0-9_./-]+\.[A-Za-z0-9_]+$/.test(props.handler)) {
    throw new PropValidationError(scope, "handler", props.handler, "<module>.<function>, e.g. lambda_worker.handler", "name the file (without extension) and the function it exports");
  }
  const timeoutProp = props.timeoutSeconds === undefined ? "timeoutSeconds (from queue.worstCaseProcessingSeconds)" : "timeoutSeconds";
  requireIntegerInRange(scope, timeoutProp, timeout, 1, 900, "set timeoutSeconds to at most 900 (Lambda's limit); work that can take longer belongs on AsyncQueueWorkerService");
  requireIntegerInRange(scope, "memoryMb", props.memoryMb, 128, 10_240, "use 128 to 10240 MB");
  requireIntegerInRange(scope, "batchSize", props.batchSize, 1, 10_000, "use 1 to 10000 messages (1 suits long inferences)");
  requireIntegerInRange(scope, "batchingWindowSeconds", props.batchingWindowSeconds, 0, 300, "use 0 to 300 seconds");
  if ((props.batchSize ?? 1) > 10 && (props.batchingWindowSeconds ?? 0) < 1) {
    throw new PropValidationError(scope, "batchingWindowSeconds", props.batchingWindowSeconds ?? 0, "at least 1 when batchSize is above 10 (an SQS event source rule)", "set batchingWindowSeconds to 1 or more, or use batchSize 10 or less");
  }
  requireIntegerInRange(scope, "reservedConcurrency", props.reservedConcurrency, 2, 10_000, "use at least 2 (the event source mapping's smallest maximum concurrency; 0 would throttle every message into the dead-letter queue), or leave it out");
  const concurrencyProp = props.maximumConcurrency === undefined ? "maximumConcurrency (from reservedConcurrency)" : "maximumConcurrency";
  requireIntegerInRange(scope, concurrencyProp, maximumConcurrency, 2, 1000, "use 2 to 1000 (the event source mapping's limits)");
  const reserved = props.reservedConcurrency;
  if (reserved !== undefined && !isUnresolved(reserved) && !isUnresolved(maximumConcurrency) && maximumConcurrency > reserved) {
    throw new PropValidationError(
      scope,
      "maximumConcurrency",
      maximumConcurrency,
      `at most reservedConcurrency (${reserved}): above it Lambda throttles the extra invocations, the throttled messages return to the queue and count toward maxReceiveCount, and unprocessed messages land in the dead-letter queue`,
      `set maximumConcurrency to ${reserved} or less, or raise reservedConcurrency to ${maximumConcurrency}`,
    );
  }
  const visibility = props.queue.visibilityTimeoutSeconds;
  // AWS: at least 6 x the function timeout plus the batching window, during which received
  // messages already count against their visibility timeout.
  const window = props.batchingWindowSeconds ?? 0;
  const needed = 6 * timeout + window;
  if (!isUnresolved(visibility) && !isUnresolved(timeout) && !isUnresolved(window) && visibility < needed) {
    const maxTimeout = Math.floor((visibility - window) / 6);
    throw new PropValidationError(
      scope,
      "timeoutSeconds",
      timeout,
      `at most ${maxTimeout} s: the queue's visibility timeout (${visibility} s) must be at least 6 x the function timeout plus the batching window (${needed} s), AWS's recommendation so a message does not reappear while an invocation or its retries still hold it`,
      `lower timeoutSeconds to ${maxTimeout} or less, or raise the queue's worstCaseProcessingSeconds or visibilityTimeoutFactor so its visibility timeout is at least ${needed} s`,
    );
  }
  if (!isUnresolved(timeout) && !isUnresolved(props.queue.worstCaseProcessingSeconds) && timeout < props.queue.worstCaseProcessingSeconds) {
    Annotations.of(scope).addWarning(
      `AsyncLambdaWorker ${props.name}: timeoutSeconds ${timeout} is below the queue's worstCaseProcessingSeconds ${props.queue.worstCaseProcessingSeconds}: the slowest messages will time out, return to the queue and end in the dead-letter queue.`,
    );
  }
  requireLogRetentionDays(scope, "logRetentionDays", props.logRetentionDays);
  for (const name of Object.keys(props.environment ?? {})) {
    if (!/^[A-Za-z][A-Za-z0-9_]*$/.test(name) || Object.values(ASYNC_WORKER_ENV).includes(name as never) || name.startsWith("AWS_")) {
      throw new PropValidationError(scope, "environment", name, "names of letters, digits and underscores, not AWS_* (reserved by Lambda) nor an ASYNC_* contract variable", "rename the variable; the construct sets the contract variables itself");
    }
  }
}
