import { Construct } from "constructs";
import { AssetType, ITerraformDependable, TerraformAsset } from "cdktf";
import { createHash } from "node:crypto";
import { existsSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { SecurityGroup } from "@cdktf/provider-aws/lib/security-group";
import { VpcSecurityGroupEgressRule } from "@cdktf/provider-aws/lib/vpc-security-group-egress-rule";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group";
import { LambdaFunction } from "@cdktf/provider-aws/lib/lambda-function";
import { LambdaFunctionEventInvokeConfig } from "@cdktf/provider-aws/lib/lambda-function-event-invoke-config";
import { LambdaPermission } from "@cdktf/provider-aws/lib/lambda-permission";
import { CloudwatchEventRule } from "@cdktf/provider-aws/lib/cloudwatch-event-rule";
import { CloudwatchEventTarget } from "@cdktf/provider-aws/lib/cloudwatch-event-target";
import { SqsQueue } from "@cdktf/provider-aws/lib/sqs-queue";
import { SqsQueuePolicy } from "@cdktf/provider-aws/lib/sqs-queue-policy";
import { DataAwsCallerIdentity } from "@cdktf/provider-aws/lib/data-aws-caller-identity";
import { DataAwsPartition } from "@cdktf/provider-aws/lib/data-aws-partition";
import { DataAwsRegion } from "@cdktf/provider-aws/lib/data-aws-region";
import { assumeRolePolicy, policyDocument } from "./internal/policies";
import { PropValidationError, requireIntegerInRange } from "./internal/validation";
import { deterministicZip, unzipFile } from "./internal/zip";

/** HTTP method of the warmup requests. */
export enum WarmupMethod {
  GET = "GET",
  POST = "POST",
  PUT = "PUT",
}

/** Result when warmup runs out of budget or time while responses still look cold. */
export enum IncompleteWarmupResult {
  /** Put the instance in service anyway (a few users may meet a cold worker). */
  CONTINUE = "CONTINUE",
  /** Terminate the instance and let the group launch another. */
  ABANDON = "ABANDON",
}

/** What the warmup path needs of the fleet it warms; InferenceFleet provides all of it. */
export interface WarmupTarget {
  readonly autoScalingGroupName: string;
  readonly launchHookName?: string;
  readonly launchHookHeartbeatTimeoutSeconds?: number;
  readonly securityGroupId: string;
  readonly appPort: number;
  readonly vpcId: string;
  readonly subnetIds: readonly string[];
  readonly instanceType: string;
  allowAppTrafficFrom(id: string, securityGroupId: string, description: string): void;
  addLaunchDependency(...dependencies: ITerraformDependable[]): void;
}

/** The interface endpoints the function calls AWS through; VpcEndpoints provides it. */
export interface ApiEndpoints {
  readonly securityGroupId: string;
  readonly endpoints: readonly ITerraformDependable[];
  allowHttpsFrom(id: string, securityGroupId: string): void;
}

export interface WarmupHookProps {
  /** The fleet to warm; it must have a launch hook. */
  readonly fleet: WarmupTarget;
  /** Interface endpoints for EC2 and Auto Scaling. @default - the function reaches AWS APIs over HTTPS through NAT */
  readonly endpoints?: ApiEndpoints;
  /** Subnets of the function. @default - the fleet's subnets */
  readonly subnetIds?: readonly string[];
  /** Health path of the server, answering 2xx once set-up is done. @default "/health" */
  readonly healthPath?: string;
  /** Inference path the warmup requests call. @default "/predict" */
  readonly warmupPath?: string;
  /** HTTP method of warmup requests. @default WarmupMethod.POST */
  readonly method?: WarmupMethod;
  /** Request body, inline. @default "{}" */
  readonly body?: string;
  /** A file (an image, say) shipped in the bundle and sent as the body; excludes body. @default - body is used */
  readonly bodyFile?: string;
  /** Content type of the body. @default "application/json" */
  readonly contentType?: string;
  /** Worker processes per instance (uWSGI processes). @default - the vCPUs of the fleet's instance type */
  readonly workersPerInstance?: number;
  /** Requests per warmup round; at least workersPerInstance. @default - 2 x workersPerInstance */
  readonly concurrency?: number;
  /** Consecutive rounds without a cold response that end warmup. @default 2 */
  readonly cleanRounds?: number;
  /** A response slower than this multiple of the warm latency counts as cold. @default 3 */
  readonly coldFactor?: number;
  /** ...and slower than the warm latency plus this many milliseconds. @default 100 */
  readonly coldToleranceMs?: number;
  /** Request budget per instance. @default - 10 x concurrency */
  readonly maxRequests?: number;
  /** Consecutive rounds with failed requests before the instance is abandoned. @default 3 */
  readonly maxFailedRounds?: number;
  /** Timeout of one warmup request in seconds (a model load included). @default 60 */
  readonly requestTimeoutSeconds?: number;
  /** Timeout of one health check in seconds. @default 2 */
  readonly healthRequestTimeoutSeconds?: number;
  /** How long to wait for the health endpoint, in seconds. @default 600 */
  readonly healthDeadlineSeconds?: number;
  /** Seconds kept back before the function's timeout to complete the action. @default 10 */
  readonly safetyMarginSeconds?: number;
  /** Timeout of one EC2 / Auto Scaling API request in milliseconds. @default 5000 */
  readonly awsRequestTimeoutMs?: number;
  /** CloudWatch namespace of the embedded metrics. @default "Warmfleet/Warmup" */
  readonly metricsNamespace?: string;
  /** Result when warmup cannot finish. @default IncompleteWarmupResult.CONTINUE */
  readonly onIncomplete?: IncompleteWarmupResult;
  /** Function timeout in seconds, 30 to 900. @default 900 */
  readonly timeoutSeconds?: number;
  /** Function memory in MB, 128 to 10240. @default 256 */
  readonly memoryMb?: number;
  /** Days the function's logs are kept. @default 30 */
  readonly logRetentionDays?: number;
  /** Lambda retries of a failed invocation, 0 to 2. @default 2 */
  readonly retryAttempts?: number;
  /** Oldest event Lambda still runs, in seconds, 60 to 21600. @default 3600 */
  readonly maxEventAgeSeconds?: number;
  /** EventBridge retries when Lambda cannot be invoked, 0 to 185. @default 8 */
  readonly ruleRetryAttempts?: number;
  /** Zip of the built function (index.js, index.js.map). @default - dist/lambdas/warmup.zip of this package (npm run build) */
  readonly bundle?: string;
  /** Tags added to every resource. @default - no extra tags */
  readonly tags?: Readonly<Record<string, string>>;
}

const SCOPE = "WarmupHook";
const RETENTION_DAYS = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653];

/**
 * The warmup path of a fleet: an EventBridge rule for its launch lifecycle events, and a Lambda
 * function in its VPC that waits for each new instance's server, warms every worker process, and
 * completes the lifecycle action. Everything here exists before the group launches its first
 * instance, so even the first instances of a new stack are warmed.
 */
export class WarmupHook extends Construct {
  /** Name of the warmup function. */
  public readonly functionName: string;
  /** ARN of the warmup function. */
  public readonly functionArn: string;
  /** Security group of the function. */
  public readonly securityGroupId: string;
  /** ARN of the EventBridge rule. */
  public readonly ruleArn: string;
  /** ARN of the dead-letter queue (failed deliveries and failed invocations). */
  public readonly deadLetterQueueArn: string;
  /** Name of the function's log group. */
  public readonly logGroupName: string;

  constructor(scope: Construct, id: string, props: WarmupHookProps) {
    super(scope, id);
    const { fleet } = props;
    const hook = requireHook(fleet);
    const workers = validateWarmupProps(props);
    const tags = props.tags ?? {};
    const name = `${fleet.autoScalingGroupName}-warmup`;
    this.functionName = name;

    const securityGroup = this.securityGroup(name, props, tags);
    this.securityGroupId = securityGroup.id;
    const queue = new SqsQueue(this, "DeadLetterQueue", { name: `${name}-dlq`, messageRetentionSeconds: 1_209_600, sqsManagedSseEnabled: true, tags });
    this.deadLetterQueueArn = queue.arn;
    const logGroup = new CloudwatchLogGroup(this, "LogGroup", { name: `/aws/lambda/${name}`, retentionInDays: props.logRetentionDays ?? 30, tags });
    this.logGroupName = logGroup.name;
    const { role, policies } = this.role(name, fleet.autoScalingGroupName, logGroup, queue, tags);

    // A ready, deterministic zip: synth only copies and hashes it instead of zipping 2.6 MB again.
    const bundle = new TerraformAsset(this, "Bundle", { path: stageBundle(props), type: AssetType.FILE });
    const fn = new LambdaFunction(this, "Function", {
      functionName: name,
      description: `Warms ${fleet.autoScalingGroupName}'s new instances before they take traffic`,
      runtime: "nodejs22.x",
      architectures: ["arm64"],
      handler: "index.handler",
      filename: bundle.path,
      sourceCodeHash: bundle.assetHash,
      role: role.arn,
      timeout: props.timeoutSeconds ?? 900,
      memorySize: props.memoryMb ?? 256,
      vpcConfig: { subnetIds: [...(props.subnetIds ?? fleet.subnetIds)], securityGroupIds: [securityGroup.id] },
      loggingConfig: { logFormat: "JSON", logGroup: logGroup.name },
      environment: { variables: environment(props, fleet, hook, workers) },
      tags,
      // CreateFunction with a VPC config checks that the role may create ENIs, and the on-failure
      // destination that it may send to the queue: the policies must be attached first.
      dependsOn: [logGroup, ...policies],
    });
    this.functionArn = fn.arn;
    const invokeConfig = new LambdaFunctionEventInvokeConfig(this, "AsyncInvokeConfig", {
      functionName: fn.functionName,
      maximumRetryAttempts: props.retryAttempts ?? 2,
      maximumEventAgeInSeconds: props.maxEventAgeSeconds ?? 3600,
      destinationConfig: { onFailure: { destination: queue.arn } },
    });

    const rule = new CloudwatchEventRule(this, "LaunchRule", {
      name: `${name}-launch`,
      description: `Launch lifecycle actions of ${fleet.autoScalingGroupName}, hook ${hook.name}`,
      eventPattern: JSON.stringify({
        source: ["aws.autoscaling"],
        "detail-type": ["EC2 Instance-launch Lifecycle Action"],
        detail: { AutoScalingGroupName: [fleet.autoScalingGroupName], LifecycleHookName: [hook.name] },
      }),
      tags,
    });
    this.ruleArn = rule.arn;
    const target = new CloudwatchEventTarget(this, "LaunchRuleTarget", {
      rule: rule.name,
      targetId: "warmup",
      arn: fn.arn,
      retryPolicy: { maximumRetryAttempts: props.ruleRetryAttempts ?? 8, maximumEventAgeInSeconds: props.maxEventAgeSeconds ?? 3600 },
      deadLetterConfig: { arn: queue.arn },
    });
    const permission = new LambdaPermission(this, "InvokeFromRule", {
      statementId: "AllowLaunchRule",
      action: "lambda:InvokeFunction",
      functionName: fn.functionName,
      principal: "events.amazonaws.com",
      sourceArn: rule.arn,
    });
    const queuePolicy = new SqsQueuePolicy(this, "DeadLetterQueuePolicy", {
      queueUrl: queue.url,
      policy: policyDocument(this, "DeadLetterQueuePolicyDocument", [
        {
          sid: "LaunchRuleDeadLetters",
          effect: "Allow",
          principals: [{ type: "Service", identifiers: ["events.amazonaws.com"] }],
          actions: ["sqs:SendMessage"],
          resources: [queue.arn],
          condition: [{ test: "ArnEquals", variable: "aws:SourceArn", values: [rule.arn] }],
        },
      ]),
    });

    fleet.addLaunchDependency(fn, invokeConfig, rule, target, permission, queuePolicy, ...(props.endpoints?.endpoints ?? []));
  }

  private securityGroup(name: string, props: WarmupHookProps, tags: Readonly<Record<string, string>>): SecurityGroup {
    const { fleet, endpoints } = props;
    const securityGroup = new SecurityGroup(this, "SecurityGroup", {
      name,
      description: `Warmup function of ${fleet.autoScalingGroupName}: egress to the fleet's app port and the AWS API endpoints only`,
      vpcId: fleet.vpcId,
      tags: { ...tags, Name: name },
    });
    new VpcSecurityGroupEgressRule(this, "EgressToFleet", {
      securityGroupId: securityGroup.id,
      referencedSecurityGroupId: fleet.securityGroupId,
      ipProtocol: "tcp",
      fromPort: fleet.appPort,
      toPort: fleet.appPort,
      description: "Health checks and warmup requests to the instances",
      tags,
    });
    fleet.allowAppTrafficFrom("WarmupFunction", securityGroup.id, "Warmup function");
    if (endpoints) {
      new VpcSecurityGroupEgressRule(this, "EgressToEndpoints", {
        securityGroupId: securityGroup.id,
        referencedSecurityGroupId: endpoints.securityGroupId,
        ipProtocol: "tcp",
        fromPort: 443,
        toPort: 443,
        description: "EC2 and Auto Scaling APIs through the interface endpoints",
        tags,
      });
      endpoints.allowHttpsFrom("WarmupFunction", securityGroup.id);
    } else {
      new VpcSecurityGroupEgressRule(this, "EgressToAwsApis", {
        securityGroupId: securityGroup.id,
        cidrIpv4: "0.0.0.0/0",
        ipProtocol: "tcp",
        fromPort: 443,
        toPort: 443,
        description: "EC2 and Auto Scaling APIs through NAT",
        tags,
      });
    }
    return securityGroup;
  }

  private role(
    name: string,
    groupName: string,
    logGroup: CloudwatchLogGroup,
    queue: SqsQueue,
    tags: Readonly<Record<string, string>>,
  ): { role: IamRole; policies: IamRolePolicy[] } {
    const partition = new DataAwsPartition(this, "Partition").partition;
    const region = new DataAwsRegion(this, "Region").name;
    const account = new DataAwsCallerIdentity(this, "Account").accountId;
    const role = new IamRole(this, "Role", {
      name,
      description: `Warmup function of ${groupName}`,
      assumeRolePolicy: assumeRolePolicy(this, "TrustPolicy", "lambda.amazonaws.com"),
      tags,
    });
    // Kept apart from the runtime policy because it is fully known at plan time, so reviewers
    // see the exact group ARN in `terraform plan`.
    const lifecyclePolicy = new IamRolePolicy(this, "LifecyclePolicy", {
      name: "lifecycle-actions",
      role: role.name,
      policy: policyDocument(this, "LifecyclePolicyDocument", [
        {
          sid: "CompleteThisGroupsLifecycleActions",
          effect: "Allow",
          actions: ["autoscaling:CompleteLifecycleAction", "autoscaling:RecordLifecycleActionHeartbeat"],
          resources: [`arn:${partition}:autoscaling:${region}:${account}:autoScalingGroup:*:autoScalingGroupName/${groupName}`],
        },
        // Neither describe action supports resource-level permissions.
        { sid: "FindInstances", effect: "Allow", actions: ["ec2:DescribeInstances", "autoscaling:DescribeAutoScalingInstances"], resources: ["*"] },
      ]),
    });
    const runtimePolicy = new IamRolePolicy(this, "RuntimePolicy", {
      name: "runtime",
      role: role.name,
      policy: policyDocument(this, "RuntimePolicyDocument", [
        {
          sid: "VpcNetworkInterfaces",
          effect: "Allow",
          actions: [
            "ec2:CreateNetworkInterface",
            "ec2:DescribeNetworkInterfaces",
            "ec2:DescribeSubnets",
            "ec2:DeleteNetworkInterface",
            "ec2:AssignPrivateIpAddresses",
            "ec2:UnassignPrivateIpAddresses",
          ],
          resources: ["*"],
        },
        { sid: "Logs", effect: "Allow", actions: ["logs:CreateLogStream", "logs:PutLogEvents"], resources: [`${logGroup.arn}:*`] },
        // The on-failure destination is written with the function's own role.
        { sid: "OnFailureDestination", effect: "Allow", actions: ["sqs:SendMessage"], resources: [queue.arn] },
      ]),
    });
    return { role, policies: [lifecyclePolicy, runtimePolicy] };
  }
}

/** vCPUs of C/M/R-style instance sizes: 2 per "large", so uWSGI's one-worker-per-vCPU count. */
export function vcpusOf(instanceType: string): number | undefined {
  const size = instanceType.split(".")[1] ?? "";
  if (size === "medium") return 1;
  if (size === "large") return 2;
  if (size === "xlarge") return 4;
  const multiple = /^(\d+)xlarge$/.exec(size);
  return multiple ? 4 * Number(multiple[1]) : undefined;
}

interface LaunchHook {
  readonly name: string;
  readonly heartbeatTimeoutSeconds: number;
}

function requireHook(fleet: WarmupTarget): LaunchHook {
  if (fleet.launchHookName === undefined || fleet.launchHookHeartbeatTimeoutSeconds === undefined) {
    throw new PropValidationError(SCOPE, "fleet", fleet.autoScalingGroupName, "a fleet with a launch lifecycle hook", "set launchHook on the InferenceFleet (for example launchHook: {})");
  }
  return { name: fleet.launchHookName, heartbeatTimeoutSeconds: fleet.launchHookHeartbeatTimeoutSeconds };
}

function environment(props: WarmupHookProps, fleet: WarmupTarget, hook: LaunchHook, workers: number): Record<string, string> {
  const concurrency = props.concurrency ?? 2 * workers;
  const variables: Record<string, string | undefined> = {
    NODE_OPTIONS: "--enable-source-maps",
    WARMUP_AUTO_SCALING_GROUP_NAME: fleet.autoScalingGroupName,
    WARMUP_PORT: String(fleet.appPort),
    WARMUP_HEALTH_PATH: props.healthPath ?? "/health",
    WARMUP_PATH: props.warmupPath ?? "/predict",
    WARMUP_METHOD: props.method ?? WarmupMethod.POST,
    WARMUP_BODY: props.bodyFile ? undefined : (props.body ?? "{}"),
    WARMUP_BODY_FILE: props.bodyFile ? `payload/${basename(props.bodyFile)}` : undefined,
    WARMUP_CONTENT_TYPE: props.contentType ?? "application/json",
    WARMUP_CONCURRENCY: String(concurrency),
    WARMUP_CLEAN_ROUNDS: String(props.cleanRounds ?? 2),
    WARMUP_COLD_FACTOR: String(props.coldFactor ?? 3),
    WARMUP_COLD_TOLERANCE_MS: String(props.coldToleranceMs ?? 100),
    WARMUP_MAX_REQUESTS: String(props.maxRequests ?? 10 * concurrency),
    WARMUP_MAX_FAILED_ROUNDS: String(props.maxFailedRounds ?? 3),
    WARMUP_REQUEST_TIMEOUT_SECONDS: String(props.requestTimeoutSeconds ?? 60),
    WARMUP_HEALTH_TIMEOUT_SECONDS: String(props.healthRequestTimeoutSeconds ?? 2),
    WARMUP_HEALTH_DEADLINE_SECONDS: String(props.healthDeadlineSeconds ?? 600),
    WARMUP_SAFETY_MARGIN_SECONDS: String(props.safetyMarginSeconds ?? 10),
    WARMUP_AWS_TIMEOUT_MS: String(props.awsRequestTimeoutMs ?? 5000),
    WARMUP_METRICS_NAMESPACE: props.metricsNamespace ?? "Warmfleet/Warmup",
    // A third of the hook's timeout: two heartbeats may be lost before the action times out.
    WARMUP_HEARTBEAT_INTERVAL_SECONDS: String(Math.max(5, Math.floor(hook.heartbeatTimeoutSeconds / 3))),
    WARMUP_ON_INCOMPLETE: props.onIncomplete ?? IncompleteWarmupResult.CONTINUE,
  };
  return Object.fromEntries(Object.entries(variables).filter((e): e is [string, string] => e[1] !== undefined));
}

function defaultBundle(): string {
  return join(__dirname, "..", "dist", "lambdas", "warmup.zip");
}

/**
 * The bundle zip, or a copy of it with the body file added under payload/. The copy is named by
 * the hash of what it holds, so repeated synths reuse it instead of piling up copies.
 */
function stageBundle(props: WarmupHookProps): string {
  const bundle = props.bundle ?? defaultBundle();
  if (!existsSync(bundle)) {
    throw new PropValidationError(SCOPE, "bundle", bundle, "the zip of the built function", "run `npm run build` (npm run synth does it first)");
  }
  if (!props.bodyFile) return bundle;
  const files = { ...unzipFile(bundle), [`payload/${basename(props.bodyFile)}`]: readFileSync(props.bodyFile) };
  const zip = deterministicZip(files);
  const staged = join(tmpdir(), `warmfleet-warmup-${createHash("sha256").update(zip).digest("hex").slice(0, 16)}.zip`);
  if (!existsSync(staged)) {
    writeFileSync(`${staged}.partial`, zip);
    renameSync(`${staged}.partial`, staged);
  }
  return staged;
}

/** Validates the props and returns the worker count per instance. */
function validateWarmupProps(props: WarmupHookProps): number {
  const workers = props.workersPerInstance ?? vcpusOf(props.fleet.instanceType);
  if (workers === undefined) {
    throw new PropValidationError(
      SCOPE,
      "workersPerInstance",
      props.fleet.instanceType,
      "a worker count, which cannot be derived from this instance type",
      "set workersPerInstance to the number of uWSGI processes per instance",
    );
  }
  requireIntegerInRange(SCOPE, "workersPerInstance", workers, 1, 1024, "use the number of server worker processes per instance");
  requireIntegerInRange(SCOPE, "concurrency", props.concurrency, workers, 4096, `use at least workersPerInstance (${workers}): a narrower round can leave workers cold`);
  requireIntegerInRange(SCOPE, "cleanRounds", props.cleanRounds, 1, 20, "use 1 to 20 rounds");
  requireIntegerInRange(SCOPE, "maxRequests", props.maxRequests, props.concurrency ?? 2 * workers, 1_000_000, "allow at least one round of requests");
  requireIntegerInRange(SCOPE, "requestTimeoutSeconds", props.requestTimeoutSeconds, 1, 900, "use 1 to 900 seconds");
  requireIntegerInRange(SCOPE, "healthDeadlineSeconds", props.healthDeadlineSeconds, 1, 7200, "use 1 to 7200 seconds");
  requireIntegerInRange(SCOPE, "coldToleranceMs", props.coldToleranceMs, 0, 60_000, "use 0 to 60000 ms");
  requireIntegerInRange(SCOPE, "maxFailedRounds", props.maxFailedRounds, 1, 100, "use 1 to 100 rounds");
  requireIntegerInRange(SCOPE, "healthRequestTimeoutSeconds", props.healthRequestTimeoutSeconds, 1, 60, "use 1 to 60 seconds");
  requireIntegerInRange(SCOPE, "safetyMarginSeconds", props.safetyMarginSeconds, 1, 300, "use 1 to 300 seconds");
  requireIntegerInRange(SCOPE, "awsRequestTimeoutMs", props.awsRequestTimeoutMs, 100, 60_000, "use 100 to 60000 ms");
  requireIntegerInRange(SCOPE, "timeoutSeconds", props.timeoutSeconds, 30, 900, "use 30 to 900 seconds (Lambda's maximum is 900)");
  requireIntegerInRange(SCOPE, "memoryMb", props.memoryMb, 128, 10240, "use 128 to 10240 MB");
  requireIntegerInRange(SCOPE, "retryAttempts", props.retryAttempts, 0, 2, "use 0 to 2 (Lambda's asynchronous retry limit)");
  requireIntegerInRange(SCOPE, "maxEventAgeSeconds", props.maxEventAgeSeconds, 60, 21600, "use 60 to 21600 seconds");
  requireIntegerInRange(SCOPE, "ruleRetryAttempts", props.ruleRetryAttempts, 0, 185, "use 0 to 185");
  if (props.coldFactor !== undefined && !(props.coldFactor >= 1.1 && props.coldFactor <= 100)) {
    throw new PropValidationError(SCOPE, "coldFactor", props.coldFactor, "a number from 1.1 to 100", "use for example 3: a response three times slower than warm is cold");
  }
  if (props.logRetentionDays !== undefined && !RETENTION_DAYS.includes(props.logRetentionDays)) {
    throw new PropValidationError(SCOPE, "logRetentionDays", props.logRetentionDays, `one of ${RETENTION_DAYS.join(", ")}`, "pick the nearest allowed value");
  }
  for (const [prop, path] of [["healthPath", props.healthPath], ["warmupPath", props.warmupPath]] as const) {
    if (path !== undefined && !path.startsWith("/")) {
      throw new PropValidationError(SCOPE, prop, path, "an absolute path starting with /", `use for example "/${path}"`);
    }
  }
  if (props.body !== undefined && props.bodyFile !== undefined) {
    throw new PropValidationError(SCOPE, "bodyFile", props.bodyFile, "either body or bodyFile, not both", "remove body, or remove bodyFile");
  }
  if (props.bodyFile !== undefined && !existsSync(props.bodyFile)) {
    throw new PropValidationError(SCOPE, "bodyFile", props.bodyFile, "an existing file", "pass the path of the payload file, relative to where you run cdktf synth or absolute");
  }
  if (props.method === WarmupMethod.GET && (props.body !== undefined || props.bodyFile !== undefined)) {
    throw new PropValidationError(SCOPE, "method", "GET", "POST or PUT when a body is set", "use WarmupMethod.POST, or drop the body");
  }
  return workers;
}
