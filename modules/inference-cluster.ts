import { Construct } from "constructs";
import { Lazy } from "cdktf";
import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group";
import { EcsCluster } from "@cdktf/provider-aws/lib/ecs-cluster";
import { EcsClusterCapacityProviders } from "@cdktf/provider-aws/lib/ecs-cluster-capacity-providers";
import { FARGATE_PROVIDERS, validateStrategy } from "./internal/capacity-provider-strategy";
import { KMS_KEY, PropValidationError, isUnresolved, requireArn, requireLogRetentionDays } from "./internal/validation";

/** An ECS cluster services run in. */
export interface IInferenceCluster {
  /** Name of the cluster. */ readonly clusterName: string;
  /** ARN of the cluster. */ readonly clusterArn: string;
  /** Capacity provider names registered with the cluster (FARGATE, FARGATE_SPOT, and the EC2 one when present). */
  readonly capacityProviderNames: readonly string[];
}

/** An EC2 capacity provider the cluster can register; FleetCapacityProvider is one. */
export interface IClusterCapacityProvider {
  /** Name of the capacity provider. */
  readonly capacityProviderName: string;
}

/** Container Insights level of the cluster (the `containerInsights` cluster setting). */
export enum ContainerInsights {
  /** Task- and container-level metrics as well (priced per observation; AWS provider 5.81 or later). */
  ENHANCED = "enhanced",
  /** Cluster- and service-level metrics. */
  ENABLED = "enabled",
  /** No Container Insights metrics. */
  DISABLED = "disabled",
}

/** The capacity providers AWS runs for every cluster; they need no capacity provider resource. */
export enum FargateCapacityProvider {
  FARGATE = "FARGATE",
  FARGATE_SPOT = "FARGATE_SPOT",
}

/** One entry of a capacity provider strategy. */
export interface CapacityProviderStrategyItem {
  /** Name of the capacity provider: "FARGATE", "FARGATE_SPOT" or an EC2 capacity provider's name. */
  readonly capacityProvider: string;
  /** Share of the tasks above the base, 0 to 1000. @default 1 */
  readonly weight?: number;
  /** Tasks placed here before weights apply, 0 to 100000; only one entry may set it. @default 0 */
  readonly base?: number;
}

export interface ExecuteCommandLoggingProps {
  /** Days the session logs are kept. @default 90 */
  readonly logRetentionDays?: number;
  /** KMS key ARN that encrypts the data between the client and the container. @default - TLS only, no extra KMS encryption of the session */
  readonly kmsKeyArn?: string;
}

export interface InferenceClusterProps {
  /** Name of the cluster, 1 to 255 letters, digits, hyphens and underscores. */
  readonly name: string;
  /** Container Insights level. @default ContainerInsights.ENABLED */
  readonly containerInsights?: ContainerInsights;
  /** ECS Exec session logging to a CloudWatch log group this construct creates (logging OVERRIDE). @default - no exec configuration: sessions are logged as the task's awslogs settings say (DEFAULT) */
  readonly executeCommandLogging?: ExecuteCommandLoggingProps;
  /** Default strategy of services and tasks that name none. @default - none: every service names its own strategy or launch type */
  readonly defaultCapacityProviderStrategy?: readonly CapacityProviderStrategyItem[];
  /** Tags added to every resource. @default - no extra tags */
  readonly tags?: Readonly<Record<string, string>>;
}

/**
 * An ECS cluster for inference services: Container Insights, ECS Exec session logging, and the
 * FARGATE and FARGATE_SPOT capacity providers, plus the EC2 capacity providers added with
 * addCapacityProvider (an InferenceFleet as ECS hosts, through FleetCapacityProvider).
 */
export class InferenceCluster extends Construct implements IInferenceCluster {
  /** Name of the cluster (known at synth time). */
  public readonly clusterName: string;
  /** ARN of the cluster. */
  public readonly clusterArn: string;
  /** Registered capacity provider names; EC2 providers appear once added with addCapacityProvider. */
  public readonly capacityProviderNames: readonly string[];
  /** Name of the ECS Exec session log group, undefined without executeCommandLogging. */
  public readonly executeCommandLogGroupName?: string;
  /** ARN of the ECS Exec session log group: task roles need logs:CreateLogStream / PutLogEvents / DescribeLogStreams on it, and logs:DescribeLogGroups. */
  public readonly executeCommandLogGroupArn?: string;
  /** KMS key of ECS Exec sessions: task roles need kms:Decrypt on it. */
  public readonly executeCommandKmsKeyArn?: string;

  private readonly providers: string[] = [...FARGATE_PROVIDERS];

  constructor(scope: Construct, id: string, props: InferenceClusterProps) {
    super(scope, id);
    validateClusterProps(this, props);
    const tags = props.tags ?? {};
    this.clusterName = props.name;
    this.capacityProviderNames = this.providers;
    const exec = props.executeCommandLogging;
    const logGroup = exec
      ? new CloudwatchLogGroup(this, "ExecuteCommandLogGroup", { name: `/aws/ecs/${props.name}/exec`, retentionInDays: exec.logRetentionDays ?? 90, tags })
      : undefined;
    this.executeCommandLogGroupName = logGroup?.name;
    this.executeCommandLogGroupArn = logGroup?.arn;
    this.executeCommandKmsKeyArn = exec?.kmsKeyArn;

    const cluster = new EcsCluster(this, "Cluster", {
      name: props.name,
      setting: [{ name: "containerInsights", value: props.containerInsights ?? ContainerInsights.ENABLED }],
      configuration: logGroup
        ? {
            executeCommandConfiguration: {
              kmsKeyId: exec?.kmsKeyArn,
              logging: "OVERRIDE",
              // The group is encrypted by CloudWatch Logs' own key; true would require a CMK on it.
              logConfiguration: { cloudWatchLogGroupName: logGroup.name, cloudWatchEncryptionEnabled: false },
            },
          }
        : undefined,
      tags,
    });
    this.clusterArn = cluster.arn;

    const strategy = props.defaultCapacityProviderStrategy ?? [];
    new EcsClusterCapacityProviders(this, "CapacityProviders", {
      clusterName: cluster.name,
      // Resolved at synth, after every addCapacityProvider call.
      capacityProviders: Lazy.listValue({ produce: () => [...this.providers] }),
      defaultCapacityProviderStrategy: strategy.map((item) => ({ capacityProvider: item.capacityProvider, weight: item.weight ?? 1, base: item.base ?? 0 })),
    });
    this.node.addValidation({ validate: () => this.unregisteredStrategyProviders(strategy) });
  }

  /** Registers an EC2 capacity provider with the cluster, so services can use it. */
  public addCapacityProvider(provider: IClusterCapacityProvider): void {
    const name = provider.capacityProviderName;
    if (this.providers.includes(name)) {
      throw new PropValidationError(this, "capacityProvider", name, "a capacity provider not yet registered with this cluster", "add each capacity provider once");
    }
    this.providers.push(name);
  }

  private unregisteredStrategyProviders(strategy: readonly CapacityProviderStrategyItem[]): string[] {
    return strategy
      .filter((item) => !isUnresolved(item.capacityProvider) && !this.providers.includes(item.capacityProvider))
      .map(
        (item) =>
          new PropValidationError(
            this,
            "defaultCapacityProviderStrategy",
            item.capacityProvider,
            `a registered capacity provider (${this.providers.join(", ")})`,
            "register the EC2 capacity provider with addCapacityProvider, or fix the name",
          ).message,
      );
  }
}

function validateClusterProps(scope: Construct, props: InferenceClusterProps): void {
  if (!isUnresolved(props.name) && !/^[A-Za-z0-9_-]{1,255}$/.test(props.name)) {
    throw new PropValidationError(scope, "name", props.name, "1 to 255 letters, digits, hyphens and underscores", "rename the cluster, e.g. \"inference\"");
  }
  const exec = props.executeCommandLogging;
  requireLogRetentionDays(scope, "executeCommandLogging.logRetentionDays", exec?.logRetentionDays);
  if (exec?.kmsKeyArn !== undefined) {
    requireArn(scope, "executeCommandLogging.kmsKeyArn", exec.kmsKeyArn, [KMS_KEY], "pass the key ARN (not an alias or a key id)");
  }
  validateStrategy(scope, props.defaultCapacityProviderStrategy ?? []);
}
