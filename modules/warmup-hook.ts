import { Construct } from "constructs";
import { Annotations, AssetType, ITerraformDependable, TerraformAsset } from "cdktf";
import { existsSync, readFileSync } from "node:fs";
import { basename, join, sep } from "node:path";
import { SecurityGroup } from "@cdktf/provider-aws/lib/security-group";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import { LambdaFunction } from "@cdktf/provider-aws/lib/lambda-function";
import { LambdaFunctionEventInvokeConfig } from "@cdktf/provider-aws/lib/lambda-function-event-invoke-config";
import { LambdaPermission } from "@cdktf/provider-aws/lib/lambda-permission";
import { CloudwatchEventRule } from "@cdktf/provider-aws/lib/cloudwatch-event-rule";
import { CloudwatchEventTarget } from "@cdktf/provider-aws/lib/cloudwatch-event-target";
import { SqsQueue } from "@cdktf/provider-aws/lib/sqs-queue";
import { SqsQueuePolicy } from "@cdktf/provider-aws/lib/sqs-queue-policy";
import { DynamodbTable } from "@cdktf/provider-aws/lib/dynamodb-table";
import { DataAwsCallerIdentity } from "@cdktf/provider-aws/lib/data-aws-caller-identity";
import { DataAwsPartition } from "@cdktf/provider-aws/lib/data-aws-partition";
import { DataAwsRegion } from "@cdktf/provider-aws/lib/data-aws-region";
import { Connections, IConnectable, Port } from "./connections";
import { IInferenceCluster } from "./inference-cluster";
import { IGrantable, PolicyStatement, RoleGrants } from "./grants";
import { policyDocument } from "./internal/policies";
import { lambdaBasics } from "./internal/lambda-basics";
import { vcpusOfInstanceType } from "./internal/instance-types";
import { PropValidationError, isUnresolved, requireIntegerInRange, requireLogRetentionDays } from "./internal/validation";
import { stageZip, unzipFile } from "./internal/zip";
import { requireSettingInRange } from "./internal/warmup-settings";
import { WARMUP_CLAIMS_ATTRIBUTES, WARMUP_ROUND_WIDTH_PER_WORKER, WARMUP_SETTINGS } from "./warmup-settings";

/** HTTP method of the warmup requests. */
export enum WarmupMethod {
  GET = "GET",
  POST = "POST",
  PUT = "PUT",
}

/** Result when warmup runs out of budget or time while responses still look cold. */
/** What the function waits for before it completes a launch action. */
export enum WarmupMode {
  /** The instance's inference server: its health, then every worker warmed (the warm EC2 fleet). */
  HTTP = "HTTP",
  /** An ECS host: its agent registered and connected, or into the warm pool its host-ready tag; no HTTP. */
  ECS_HOST = "ECS_HOST",
}

export enum IncompleteWarmupResult {
  /** Put the instance in service anyway (a few users may meet a cold worker). */
  CONTINUE = "CONTINUE",
  /** Terminate the instance and let the group launch another. */
  ABANDON = "ABANDON",
}

/** What the warmup path needs of the fleet it warms; InferenceFleet provides all of it. */
export interface WarmupTarget extends IConnectable {
  /** Name of the Auto Scaling group. */
  readonly autoScalingGroupName: string;
  /** Name of its launch lifecycle hook; required by WarmupHook. */
  readonly launchHookName?: string;
  /** Heartbeat timeout of that hook in seconds. */
  readonly launchHookHeartbeatTimeoutSeconds?: number;
  /** Port the server listens on. */
  readonly appPort: number;
  /** VPC of the instances. */
  readonly vpcId: string;
  /** Subnets of the instances. */
  readonly subnetIds: readonly string[];
  /** Instance type the worker count is derived from. */
  readonly instanceType: string;
  /** The cluster its instances join when they are ECS hosts. */
  readonly ecsCluster?: IInferenceCluster;
  /** Makes the group wait for these resources before its first launch. */
  addLaunchDependency(...dependencies: ITerraformDependable[]): void;
}

/** The interface endpoints the function calls AWS through; VpcEndpoints provides it. */
export interface ApiEndpoints extends IConnectable {
  /** The endpoint resources; the fleet's first launch waits for them. */
  readonly endpoints: readonly ITerraformDependable[];
  /** Endpoint ids by service name, when known (VpcEndpoints has them): checked for the services the mode calls. */
  readonly endpointIds?: Readonly<Record<string, string>>;
}

export interface WarmupHookProps {
  /** The fleet to warm; it must have a launch hook. */
  readonly fleet: WarmupTarget;
  /** What the function waits for; ECS_HOST needs a fleet of ECS hosts, and those have no server to warm. @default - WarmupMode.ECS_HOST for a fleet of ECS hosts, WarmupMode.HTTP otherwise */
  readonly mode?: WarmupMode;
  /** Interface endpoints for EC2 and Auto Scaling. @default - the function reaches AWS APIs over HTTPS through NAT */
  readonly endpoints?: ApiEndpoints;
  /** Prefix list of the VPC's DynamoDB gateway endpoint (its prefix_list_id), through which the function reaches its claims table when it calls AWS through `endpoints`. @default - none: with `endpoints`, only a dynamodb interface endpoint among them would carry it (a synth warning says so); without, NAT does */
  readonly dynamoDbPrefixListId?: string;
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
  /** Worker processes on every instance, for servers that do not run one per vCPU. @default - one per vCPU of each launched instance, read at run time; the fleet's C-family type only plans the fallback (other types need this prop) */
  readonly workersPerInstance?: number;
  /** Requests per warmup round, doubled while workers are missing; the function never sends fewer than the instance's workers. @default - 2 x the instance's workers, at run time */
  readonly concurrency?: number;
  /** Consecutive rounds without a cold response that end warmup. @default 2 */
  readonly cleanRounds?: number;
  /** A response slower than this multiple of the warm latency counts as cold. @default 3 */
  readonly coldFactor?: number;
  /** ...and slower than the warm latency plus this many milliseconds. @default 100 */
  readonly coldToleranceMs?: number;
  /** Request budget per instance, spent by rounds the server answered. @default - 50 x the first round's width, at run time */
  readonly maxRequests?: number;
  /** Seconds warmup requests may keep failing (502/503/504, refused, other errors) before the instance is abandoned. @default 300 */
  readonly notReadyWindowSeconds?: number;
  /** Longest pause in seconds between failed rounds, a Retry-After included. @default 10 */
  readonly maxBackoffSeconds?: number;
  /** Response header naming the worker that answered; "" turns coverage off (never "warm", at best "incomplete"). @default "X-Worker-Id" */
  readonly workerIdHeader?: string;
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
  /** Result when warmup cannot show every expected worker warm within its budget (README: why CONTINUE). @default IncompleteWarmupResult.CONTINUE */
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


/**
 * The warmup path of a fleet: an EventBridge rule for its launch lifecycle events, and a Lambda
 * function in its VPC that waits for each new instance's server, warms every worker process, and
 * completes the lifecycle action. Everything here exists before the group launches its first
 * instance, so even the first instances of a new stack are warmed.
 */
export class WarmupHook extends Construct implements IConnectable, IGrantable {
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
  /** URL of the dead-letter queue. */
  public readonly deadLetterQueueUrl: string;
  /** Name of the dead-letter queue. */
  public readonly deadLetterQueueName: string;
  /** Name of the DynamoDB table of per-instance warmup leases (what WarmupReconciler reads). */
  public readonly claimsTableName: string;
  /** ARN of that table. */
  public readonly claimsTableArn: string;
  /** Name of the Auto Scaling group warmed. */
  public readonly autoScalingGroupName: string;
  /** Name of the launch lifecycle hook the function completes. */
  public readonly launchHookName: string;
  /** Heartbeat timeout of that hook in seconds. */
  public readonly launchHookHeartbeatTimeoutSeconds: number;
  /** CloudWatch namespace of the function's embedded metrics. */
  public readonly metricsNamespace: string;
  /** The function's timeout in seconds. */
  public readonly timeoutSeconds: number;
  /** Name of the function's IAM role. */
  public readonly roleName: string;
  /** Workers expected per instance when EC2 does not report the launched instance's CPUs (workersPerInstance, or the fleet type's vCPUs). */
  public readonly workersPerInstance: number;
  /** The function's security group side. */
  public readonly connections: Connections;
  private readonly grants: RoleGrants;

  constructor(scope: Construct, id: string, props: WarmupHookProps) {
    super(scope, id);
    const { fleet } = props;
    const hook = requireHook(this, fleet);
    const ecsCluster = requireModeMatchesFleet(this, props);
    if (ecsCluster && props.endpoints?.endpointIds && !("ecs" in props.endpoints.endpointIds)) {
      Annotations.of(this).addWarning(
        `WarmupHook ${fleet.autoScalingGroupName}: ECS_HOST mode calls the ECS API, but the endpoints have no "ecs" service; without NAT the function cannot reach it and abandons every host. Add "ecs" to the VpcEndpoints services.`,
      );
    }
    // An ECS host's worker count is its tasks' business; the setting only needs a valid value.
    const workers = ecsCluster ? (props.workersPerInstance ?? 1) : workersPerInstance(this, props);
    validateWarmupProps(this, props, workers);
    this.workersPerInstance = workers;
    const tags = props.tags ?? {};
    const name = `${fleet.autoScalingGroupName}-warmup`;
    this.functionName = name;

    const securityGroup = this.securityGroup(name, props, tags);
    this.securityGroupId = securityGroup.id;
    this.connections = Connections.forOwner(this, securityGroup.id, tags);
    this.allowFlows(props);
    const queue = new SqsQueue(this, "DeadLetterQueue", { name: `${name}-dlq`, messageRetentionSeconds: 1_209_600, sqsManagedSseEnabled: true, tags });
    this.deadLetterQueueArn = queue.arn;
    this.deadLetterQueueUrl = queue.url;
    this.deadLetterQueueName = queue.name;
    this.autoScalingGroupName = fleet.autoScalingGroupName;
    this.launchHookName = hook.name;
    this.launchHookHeartbeatTimeoutSeconds = hook.heartbeatTimeoutSeconds;
    this.metricsNamespace = props.metricsNamespace ?? WARMUP_SETTINGS.metricsNamespace.default;
    this.timeoutSeconds = props.timeoutSeconds ?? 900;
    const claims = this.claimsTable(name, tags);
    this.claimsTableName = claims.name;
    this.claimsTableArn = claims.arn;
    const { logGroup, role, runtimePolicy } = lambdaBasics(this, {
      name,
      description: `Warmup function of ${fleet.autoScalingGroupName}`,
      logRetentionDays: props.logRetentionDays ?? 30,
      tags,
      runtimeStatements: [
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
        // The on-failure destination is written with the function's own role.
        { sid: "OnFailureDestination", effect: "Allow", actions: ["sqs:SendMessage"], resources: [queue.arn] },
        // Take and give back an instance's lease (lambdas/warmup/claim.ts).
        { sid: "WarmupLeases", effect: "Allow", actions: ["dynamodb:PutItem", "dynamodb:DeleteItem"], resources: [claims.arn] },
      ],
    });
    this.logGroupName = logGroup.name;
    const policies = [this.lifecyclePolicy(role.name, fleet.autoScalingGroupName), runtimePolicy, ...(ecsCluster ? [this.ecsHostPolicy(role.name, ecsCluster)] : [])];
    this.roleName = role.name;
    this.grants = new RoleGrants(this, role.name);

    // A ready, deterministic zip: synth only copies and hashes it instead of zipping 2.6 MB again.
    const bundle = new TerraformAsset(this, "Bundle", { path: stageBundle(this, props), type: AssetType.FILE });
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
      environment: { variables: { ...environment(props, fleet, hook, workers), [WARMUP_SETTINGS.claimsTable.env]: claims.name } },
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

    fleet.addLaunchDependency(fn, invokeConfig, rule, target, permission, queuePolicy, claims, ...(props.endpoints?.endpoints ?? []));
  }

  /** Adds a statement to the function's role (a bucket holding warmup payloads, say). */
  public addToRolePolicy(statement: PolicyStatement): void {
    this.grants.add(statement);
  }

  /**
   * Leases of the instances being warmed: a few short-lived items, so on demand, expired by TTL,
   * and without point-in-time recovery (nothing in it outlives a warmup).
   */
  private claimsTable(name: string, tags: Readonly<Record<string, string>>): DynamodbTable {
    return new DynamodbTable(this, "ClaimsTable", {
      name: `${name}-claims`,
      billingMode: "PAY_PER_REQUEST",
      hashKey: WARMUP_CLAIMS_ATTRIBUTES.key,
      attribute: [{ name: WARMUP_CLAIMS_ATTRIBUTES.key, type: "S" }],
      ttl: { attributeName: WARMUP_CLAIMS_ATTRIBUTES.expiresAt, enabled: true },
      serverSideEncryption: { enabled: true },
      pointInTimeRecovery: { enabled: false },
      tags,
    });
  }

  private securityGroup(name: string, props: WarmupHookProps, tags: Readonly<Record<string, string>>): SecurityGroup {
    // A name prefix with create_before_destroy: a replacement creates the new group first.
    return new SecurityGroup(this, "SecurityGroup", {
      namePrefix: `${name}-`,
      description: `Warmup function of ${props.fleet.autoScalingGroupName}: egress to the fleet's app port and the AWS API endpoints only`,
      vpcId: props.fleet.vpcId,
      tags: { ...tags, Name: name },
      lifecycle: { createBeforeDestroy: true },
    });
  }

  /** Health checks and warmup requests to the instances; AWS APIs through the endpoints, or NAT. */
  private allowFlows(props: WarmupHookProps): void {
    const { fleet, endpoints } = props;
    // ECS_HOST mode asks the ECS API, never the instance.
    if (fleet.ecsCluster === undefined) this.connections.allowTo(fleet, Port.tcp(fleet.appPort), "Warmup function: health checks and warmup requests");
    if (props.dynamoDbPrefixListId !== undefined) {
      this.connections.allowToPrefixList("DynamoDb", props.dynamoDbPrefixListId, Port.tcp(443), "Warmup function: its claims table through the DynamoDB gateway endpoint");
    }
    if (endpoints) {
      this.connections.allowTo(endpoints, Port.tcp(443), "Warmup function: EC2 and Auto Scaling APIs through the interface endpoints");
      if (props.dynamoDbPrefixListId === undefined) {
        Annotations.of(this).addWarning(
          "WarmupHook: the function calls AWS through `endpoints` only, so it reaches its claims table only if they include a dynamodb interface endpoint whose DNS it uses; otherwise it warms without leases (a late event and a reconciled run may then both warm an instance). Set dynamoDbPrefixListId to the prefix list of a DynamoDB gateway endpoint.",
        );
      }
    } else {
      this.connections.allowToCidr("0.0.0.0/0", Port.tcp(443), "EC2 and Auto Scaling APIs through NAT");
    }
  }

  /** ECS_HOST mode: find the instance's container instance in this cluster, nothing else. */
  private ecsHostPolicy(roleName: string, cluster: IInferenceCluster): IamRolePolicy {
    return new IamRolePolicy(this, "EcsHostPolicy", {
      name: "ecs-host-readiness",
      role: roleName,
      policy: policyDocument(this, "EcsHostPolicyDocument", [
        { sid: "ListThisClustersInstances", effect: "Allow", actions: ["ecs:ListContainerInstances"], resources: [cluster.clusterArn] },
        // Container instance ARNs are unknown until they register: scoped by their cluster instead.
        {
          sid: "DescribeThisClustersInstances",
          effect: "Allow",
          actions: ["ecs:DescribeContainerInstances"],
          resources: ["*"],
          condition: [{ test: "ArnEquals", variable: "ecs:cluster", values: [cluster.clusterArn] }],
        },
      ]),
    });
  }

  /**
   * Kept apart from the runtime policy because it is fully known at plan time, so reviewers see
   * the exact group ARN in `terraform plan`.
   */
  private lifecyclePolicy(roleName: string, groupName: string): IamRolePolicy {
    const partition = new DataAwsPartition(this, "Partition").partition;
    const region = new DataAwsRegion(this, "Region").name;
    const account = new DataAwsCallerIdentity(this, "Account").accountId;
    return new IamRolePolicy(this, "LifecyclePolicy", {
      name: "lifecycle-actions",
      role: roleName,
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
  }
}

interface LaunchHook {
  readonly name: string;
  readonly heartbeatTimeoutSeconds: number;
}

function requireHook(scope: Construct, fleet: WarmupTarget): LaunchHook {
  if (fleet.launchHookName === undefined || fleet.launchHookHeartbeatTimeoutSeconds === undefined) {
    throw new PropValidationError(scope, "fleet", fleet.autoScalingGroupName, "a fleet with a launch lifecycle hook", "set launchHook on the InferenceFleet (for example launchHook: {})");
  }
  return { name: fleet.launchHookName, heartbeatTimeoutSeconds: fleet.launchHookHeartbeatTimeoutSeconds };
}

function environment(props: WarmupHookProps, fleet: WarmupTarget, hook: LaunchHook, workers: number): Record<string, string> {
  const S = WARMUP_SETTINGS;
  // Every setting is written out, defaults included, so the plan shows what the function runs with;
  // the round width and budget only when set, since by default they follow each instance's CPUs.
  const fixed = Object.values(S).map((setting): [string, unknown] => [setting.env, "derived" in setting ? undefined : (props[setting.prop] ?? setting.default)]);
  const variables: Record<string, unknown> = {
    NODE_OPTIONS: "--enable-source-maps",
    ...Object.fromEntries(fixed),
    [S.autoScalingGroupName.env]: fleet.autoScalingGroupName,
    [S.port.env]: fleet.appPort,
    // Unset means HTTP, so warm EC2 fleets' environments stay as they were.
    [S.mode.env]: fleet.ecsCluster ? WarmupMode.ECS_HOST : undefined,
    [S.ecsCluster.env]: fleet.ecsCluster?.clusterName,
    [S.workers.env]: props.workersPerInstance,
    [S.fallbackWorkers.env]: workers,
    [S.concurrency.env]: props.concurrency,
    [S.maxRequests.env]: props.maxRequests,
    // A third of the hook's timeout: two heartbeats may be lost before the action times out.
    [S.heartbeatIntervalSeconds.env]: Math.max(S.heartbeatIntervalSeconds.min, Math.floor(hook.heartbeatTimeoutSeconds / 3)),
    // The body file travels inside the bundle, and replaces the inline body.
    [S.body.env]: props.bodyFile ? undefined : (props.body ?? S.body.default),
    [S.bodyFile.env]: props.bodyFile ? `payload/${basename(props.bodyFile)}` : undefined,
  };
  return Object.fromEntries(Object.entries(variables).flatMap(([name, value]) => (value === undefined ? [] : [[name, String(value)]])));
}

function defaultBundle(): string {
  return join(__dirname, "..", "dist", "lambdas", "warmup.zip");
}

/**
 * The bundle zip, or a copy of it with the body file added under payload/. The copy is named by
 * the hash of what it holds, so repeated synths reuse it instead of piling up copies.
 */
function stageBundle(scope: Construct, props: WarmupHookProps): string {
  const bundle = props.bundle ?? defaultBundle();
  if (!existsSync(bundle)) {
    throw new PropValidationError(
      scope,
      "bundle",
      bundle,
      "the zip of the built function",
      bundle.includes(`${sep}node_modules${sep}`)
        ? "the installed warmfleet package is incomplete: reinstall it from the registry or a packed tarball (a git or directory install does not build it)"
        : "run `npm run build` in the warmfleet repository (its synth builds it first)",
    );
  }
  if (!props.bodyFile) return bundle;
  return stageZip("warmfleet-warmup", { ...unzipFile(bundle), [`payload/${basename(props.bodyFile)}`]: readFileSync(props.bodyFile) });
}

/**
 * Server workers per instance: as given, or one per vCPU of a C-family type warmfleet knows.
 * Any other type needs the count stated, because guessing it wrong leaves workers cold.
 */
/** The fleet's cluster in ECS_HOST mode, undefined in HTTP mode; a mode the fleet cannot serve is an error. */
function requireModeMatchesFleet(scope: Construct, props: WarmupHookProps): IInferenceCluster | undefined {
  const cluster = props.fleet.ecsCluster;
  const mode = props.mode ?? (cluster ? WarmupMode.ECS_HOST : WarmupMode.HTTP);
  if (mode === WarmupMode.ECS_HOST && cluster === undefined) {
    throw new PropValidationError(scope, "mode", mode, "ECS_HOST only for a fleet of ECS hosts (InferenceFleet with ecsHost)", "set ecsHost on the fleet, or use WarmupMode.HTTP");
  }
  if (mode === WarmupMode.HTTP && cluster !== undefined) {
    throw new PropValidationError(
      scope,
      "mode",
      mode,
      "ECS_HOST for a fleet of ECS hosts (they run no inference server of their own; each task warms behind its readiness-gated health check)",
      "leave mode unset, or use WarmupMode.ECS_HOST",
    );
  }
  return cluster;
}

function workersPerInstance(scope: Construct, props: WarmupHookProps): number {
  if (props.workersPerInstance !== undefined) {
    requireIntegerInRange(scope, "workersPerInstance", props.workersPerInstance, 1, 1024, "use the number of server worker processes per instance");
    return props.workersPerInstance;
  }
  const instanceType = props.fleet.instanceType;
  const vcpus = isUnresolved(instanceType) ? undefined : vcpusOfInstanceType(instanceType);
  if (vcpus === undefined) {
    throw new PropValidationError(
      scope,
      "fleet.instanceType",
      instanceType,
      "a C-family type whose vCPUs warmfleet knows (every c6i size up to c6i.metal; large to Nxlarge of other C families) when workersPerInstance is not set",
      "set workersPerInstance to the number of server worker processes per instance (one per vCPU for the example server)",
    );
  }
  return vcpus;
}

/** Validates the props against the worker count. */
function validateWarmupProps(scope: Construct, props: WarmupHookProps, workers: number): void {
  const S = WARMUP_SETTINGS;
  // Floors above the Lambda's own: a round narrower than the workers can leave some of them cold,
  // and the budget must cover at least one round.
  requireIntegerInRange(scope, "concurrency", props.concurrency, workers, S.concurrency.max, `use at least workersPerInstance (${workers}): a narrower round can leave workers cold`);
  requireIntegerInRange(scope, "maxRequests", props.maxRequests, props.concurrency ?? WARMUP_ROUND_WIDTH_PER_WORKER * workers, S.maxRequests.max, "allow at least one round of requests");
  if (props.workerIdHeader !== undefined && props.workerIdHeader !== "" && !/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(props.workerIdHeader)) {
    throw new PropValidationError(scope, "workerIdHeader", props.workerIdHeader, "an HTTP header name, or \"\" to turn coverage off", "use a header name such as X-Worker-Id");
  }
  for (const setting of Object.values(S)) {
    if (setting.prop !== undefined && "min" in setting) requireSettingInRange(scope, setting, props[setting.prop]);
  }
  requireIntegerInRange(scope, "timeoutSeconds", props.timeoutSeconds, 30, 900, "use 30 to 900 seconds (Lambda's maximum is 900)");
  requireIntegerInRange(scope, "memoryMb", props.memoryMb, 128, 10240, "use 128 to 10240 MB");
  requireIntegerInRange(scope, "retryAttempts", props.retryAttempts, 0, 2, "use 0 to 2 (Lambda's asynchronous retry limit)");
  requireIntegerInRange(scope, "maxEventAgeSeconds", props.maxEventAgeSeconds, 60, 21600, "use 60 to 21600 seconds");
  requireIntegerInRange(scope, "ruleRetryAttempts", props.ruleRetryAttempts, 0, 185, "use 0 to 185");
  requireLogRetentionDays(scope, "logRetentionDays", props.logRetentionDays);
  for (const [prop, path] of [["healthPath", props.healthPath], ["warmupPath", props.warmupPath]] as const) {
    if (path !== undefined && !path.startsWith("/")) {
      throw new PropValidationError(scope, prop, path, "an absolute path starting with /", `use for example "/${path}"`);
    }
  }
  if (props.body !== undefined && props.bodyFile !== undefined) {
    throw new PropValidationError(scope, "bodyFile", props.bodyFile, "either body or bodyFile, not both", "remove body, or remove bodyFile");
  }
  if (props.bodyFile !== undefined && !existsSync(props.bodyFile)) {
    throw new PropValidationError(scope, "bodyFile", props.bodyFile, "an existing file", "pass the path of the payload file, relative to where you run cdktf synth or absolute");
  }
  if (props.method === WarmupMethod.GET && (props.body !== undefined || props.bodyFile !== undefined)) {
    throw new PropValidationError(scope, "method", "GET", "POST or PUT when a body is set", "use WarmupMethod.POST, or drop the body");
  }
}
