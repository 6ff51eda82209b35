import { Construct } from "constructs";
import { Annotations, Fn, ITerraformDependable, Token, dependable } from "cdktf";
import { SecurityGroup } from "@cdktf/provider-aws/lib/security-group";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicyAttachment } from "@cdktf/provider-aws/lib/iam-role-policy-attachment";
import { IamInstanceProfile } from "@cdktf/provider-aws/lib/iam-instance-profile";
import { LaunchTemplate } from "@cdktf/provider-aws/lib/launch-template";
import { AutoscalingGroup, AutoscalingGroupConfig } from "@cdktf/provider-aws/lib/autoscaling-group";
import { AutoscalingLifecycleHook } from "@cdktf/provider-aws/lib/autoscaling-lifecycle-hook";
import { AutoscalingPolicy } from "@cdktf/provider-aws/lib/autoscaling-policy";
import { DataAwsPartition } from "@cdktf/provider-aws/lib/data-aws-partition";
import { LoadBalancerTarget } from "./inference-load-balancer";
import { IInferenceCluster } from "./inference-cluster";
import { Connections, IConnectable, Port } from "./connections";
import { IGrantable, ModelStore, PolicyStatement, RoleGrants, grantModelStoreRead } from "./grants";
import { assumeRolePolicy } from "./internal/policies";
import { ecrRepositoryArnOfImage } from "./internal/ecs-execution-role";
import { HOST_READY_TAG, ecsHostUserData } from "./internal/ecs-host-user-data";
import { architectureOfImage, architectureOfInstanceType } from "./internal/instance-types";
import {
  PropValidationError,
  isUnresolved,
  requireInstanceType,
  requireIntegerInRange,
  requireIpv4Cidrs,
  requireNonEmpty,
  requirePort,
  requireResourceName,
} from "./internal/validation";

/** The latest Amazon Linux 2023 for x86_64 (C6i), an SSM parameter EC2 resolves at every launch. */
export const AMAZON_LINUX_2023 = "resolve:ssm:/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64";

/** The latest Amazon Linux 2023 for arm64 (Graviton types such as c7g). */
export const AMAZON_LINUX_2023_ARM64 = "resolve:ssm:/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-arm64";

/** The latest ECS-optimized Amazon Linux 2023 for x86_64, for fleets of ECS hosts. */
export const ECS_OPTIMIZED_AMAZON_LINUX_2023 = "resolve:ssm:/aws/service/ecs/optimized-ami/amazon-linux-2023/recommended/image_id";

/** The latest ECS-optimized Amazon Linux 2023 for arm64 (Graviton). */
export const ECS_OPTIMIZED_AMAZON_LINUX_2023_ARM64 = "resolve:ssm:/aws/service/ecs/optimized-ami/amazon-linux-2023/arm64/recommended/image_id";

/** When the ECS agent pulls a task's image (ECS_IMAGE_PULL_BEHAVIOR). */
export enum ImagePullBehavior {
  /** Use the image on the instance when there is one, else pull: keeps the pre-pulled images of a warm-pool instance useful. */
  PREFER_CACHED = "prefer-cached",
  /** Pull every time, fall back to the cached image when the pull fails. */
  DEFAULT = "default",
  /** Pull every time; a failed pull fails the task. */
  ALWAYS = "always",
  /** Pull only when no earlier task on the instance pulled it. */
  ONCE = "once",
}

/** The fleet's instances as ECS container instances (EC2 capacity of an ECS cluster). */
export interface EcsHostProps {
  /** The cluster the instances join. */
  readonly cluster: IInferenceCluster;
  /** Images pulled at first boot, so instances from the Stopped pool start tasks without a pull. @default - none */
  readonly prePullImages?: readonly string[];
  /** ECR repositories the instances may pull the pre-pulled images from. @default - derived from prePullImages that are literal ECR image URIs */
  readonly prePullRepositoryArns?: readonly string[];
  /** When the agent pulls task images. @default ImagePullBehavior.PREFER_CACHED */
  readonly imagePullBehavior?: ImagePullBehavior;
  /** New instances start protected from scale-in (what managed termination protection needs). @default true */
  readonly scaleInProtection?: boolean;
}

/** State of the instances waiting in the warm pool. */
export enum WarmPoolState {
  /** Set up, then stopped: pays only for EBS; restarts in seconds. */
  STOPPED = "Stopped",
  /** Set up, then hibernated: RAM survives, needs an encrypted root volume larger than RAM. */
  HIBERNATED = "Hibernated",
  /** Set up and running: fastest, costs as much as an in-service instance. */
  RUNNING = "Running",
}

/** What Auto Scaling does when a lifecycle action times out. */
export enum LifecycleDefaultResult {
  /** Terminate the launching instance (it never takes traffic). */
  ABANDON = "ABANDON",
  /** Put the instance in service anyway. */
  CONTINUE = "CONTINUE",
}

/** Metric a target-tracking policy keeps at its target value. */
export enum ScalingMetric {
  /** Requests per target per minute, from the ALB: tracks inference load directly. */
  ALB_REQUEST_COUNT_PER_TARGET = "ALBRequestCountPerTarget",
  /** Average CPU utilisation of the group, in percent. */
  CPU_UTILIZATION = "ASGAverageCPUUtilization",
}

/** Spot allocation strategy of a mixed instances fleet. */
export enum SpotAllocationStrategy {
  PRICE_CAPACITY_OPTIMIZED = "price-capacity-optimized",
  CAPACITY_OPTIMIZED = "capacity-optimized",
  LOWEST_PRICE = "lowest-price",
}

export interface WarmPoolProps {
  /** State of pooled instances. @default WarmPoolState.STOPPED */
  readonly poolState?: WarmPoolState;
  /** Instances kept in the pool at all times. @default 0 */
  readonly minSize?: number;
  /** Cap on group plus pool size. @default - the group's maxSize */
  readonly maxGroupPreparedCapacity?: number;
  /** Return instances to the pool on scale-in instead of terminating them. @default true */
  readonly reuseOnScaleIn?: boolean;
}

export interface LaunchHookProps {
  /** Name of the hook. @default - "<name>-launch" */
  readonly name?: string;
  /** Seconds before an unanswered action takes the default result, 30 to 7200. @default 600 */
  readonly heartbeatTimeoutSeconds?: number;
  /** Result when the action times out. @default LifecycleDefaultResult.ABANDON */
  readonly defaultResult?: LifecycleDefaultResult;
  /** Free text passed in every lifecycle event. @default - none */
  readonly notificationMetadata?: string;
}

export interface TargetTrackingProps {
  /** Metric to track. @default ScalingMetric.ALB_REQUEST_COUNT_PER_TARGET */
  readonly metric?: ScalingMetric;
  /** Target value: requests per target per minute, or CPU percent. */
  readonly targetValue: number;
  /** Only scale out, never in. @default false */
  readonly disableScaleIn?: boolean;
}

export interface InstanceRefreshProps {
  /** Percentage of capacity that must stay healthy during a refresh, 0 to 100. @default 90 */
  readonly minHealthyPercentage?: number;
  /** Percentage of capacity the group may grow to during a refresh, 100 to 200. @default 120 */
  readonly maxHealthyPercentage?: number;
  /** Skip instances that already run the new launch template. @default true */
  readonly skipMatching?: boolean;
}

export interface SpotProps {
  /** Instance types to spread over, all C-family or equivalent in size. */
  readonly instanceTypes: readonly string[];
  /** On-demand instances before any Spot. @default 1 */
  readonly onDemandBaseCapacity?: number;
  /** Percentage of on-demand above the base, 0 to 100. @default 0 */
  readonly onDemandPercentageAboveBaseCapacity?: number;
  /** How Spot capacity is chosen. @default SpotAllocationStrategy.PRICE_CAPACITY_OPTIMIZED */
  readonly allocationStrategy?: SpotAllocationStrategy;
}

export interface RootVolumeProps {
  /** Size in GiB, 8 to 16384; a Hibernated pool needs more than the instance's RAM. @default 30 */
  readonly sizeGiB?: number;
  /** Encrypt the root volume. @default true */
  readonly encrypted?: boolean;
  /** KMS key for the encryption. @default - the account's default EBS key */
  readonly kmsKeyId?: string;
  /** Device name of the AMI's root volume. @default "/dev/xvda" (Amazon Linux 2023) */
  readonly deviceName?: string;
}

export interface InferenceFleetProps {
  /** Name of the Auto Scaling group and prefix of its resources, 3 to 32 letters, digits and hyphens. */
  readonly name: string;
  /** VPC of the fleet. */
  readonly vpcId: string;
  /** Private subnets the group launches into, one or more AZs. */
  readonly subnetIds: readonly string[];
  /** The load balancer whose target group receives the instances; exactly one of loadBalancer and ecsHost. @default - none: ecsHost is required */
  readonly loadBalancer?: LoadBalancerTarget;
  /** Run the instances as ECS hosts of a cluster (tasks take the traffic); exactly one of loadBalancer and ecsHost. @default - none: loadBalancer is required */
  readonly ecsHost?: EcsHostProps;
  /** AMI id, or "resolve:ssm:<parameter>" such as "resolve:ssm:/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64"; required without ecsHost. @default - with ecsHost, the ECS-optimized Amazon Linux 2023 of the instance type's architecture */
  readonly imageId?: string;
  /** EC2 instance type. @default "c6i.xlarge" */
  readonly instanceType?: string;
  /** User data script (plain text; the construct encodes it); with ecsHost it runs after the image pre-pull. @default - none */
  readonly userData?: string;
  /** Port the inference server listens on. @default - the load balancer's target port; 80 for ECS hosts */
  readonly appPort?: number;
  /** More security groups admitted to the app port, by a PascalCase name that keys their rules (the ALB's is always admitted). @default - none */
  readonly additionalIngressSecurityGroups?: Readonly<Record<string, string>>;
  /** CIDR blocks instances may reach on 443 (SSM, package repositories, model stores). @default ["0.0.0.0/0"], with a synth warning */
  readonly httpsEgressCidrBlocks?: readonly string[];
  /** Root volume; always gp3. @default - 30 GiB, encrypted with the default key */
  readonly rootVolume?: RootVolumeProps;
  /** Let containers on the instance reach IMDSv2 (hop limit 2 instead of 1). @default false */
  readonly allowContainerImdsAccess?: boolean;
  /** One-minute EC2 detailed monitoring. @default false */
  readonly detailedMonitoring?: boolean;
  /** Minimum group size. @default 1 */
  readonly minSize?: number;
  /** Maximum group size. @default 4 */
  readonly maxSize?: number;
  /** Desired group size at creation; left to scaling afterwards when scaling is on (a synth warning says so). @default - minSize */
  readonly desiredCapacity?: number;
  /** Seconds before ELB health checks count for a new instance. @default 300 */
  readonly healthCheckGracePeriodSeconds?: number;
  /** Seconds a new instance needs before its metrics count for scaling. @default 60 */
  readonly defaultInstanceWarmupSeconds?: number;
  /** Warm pool of pre-initialised instances. @default - no warm pool */
  readonly warmPool?: WarmPoolProps;
  /** Launch lifecycle hook that holds new instances in Pending:Wait. @default - no hook */
  readonly launchHook?: LaunchHookProps;
  /** Target-tracking scaling policy. @default - no scaling policy, the group stays at its desired capacity */
  readonly scaling?: TargetTrackingProps;
  /** Rolling instance refresh whenever the launch template changes. @default - no refresh; new settings reach new instances only */
  readonly instanceRefresh?: InstanceRefreshProps;
  /** Mixed instances with Spot; not allowed with a warm pool. @default - on-demand instances of instanceType only */
  readonly spot?: SpotProps;
  /** Tags added to every resource and propagated to instances and volumes. @default - no extra tags */
  readonly tags?: Readonly<Record<string, string>>;
}

const GROUP_METRICS = [
  "GroupMinSize",
  "GroupMaxSize",
  "GroupDesiredCapacity",
  "GroupInServiceInstances",
  "GroupPendingInstances",
  "GroupStandbyInstances",
  "GroupTerminatingInstances",
  "GroupTotalInstances",
  "GroupInServiceCapacity",
  "GroupPendingCapacity",
  "GroupStandbyCapacity",
  "GroupTerminatingCapacity",
  "GroupTotalCapacity",
  "WarmPoolDesiredCapacity",
  "WarmPoolWarmedCapacity",
  "WarmPoolPendingCapacity",
  "WarmPoolTerminatingCapacity",
  "WarmPoolTotalCapacity",
  "GroupAndWarmPoolDesiredCapacity",
  "GroupAndWarmPoolTotalCapacity",
];

/**
 * An Auto Scaling group of inference servers behind an ALB target group, with an optional warm
 * pool and launch lifecycle hook.
 */
export class InferenceFleet extends Construct implements IConnectable {
  /** Name of the Auto Scaling group (known at synth time, so rules and policies can name it before it exists). */
  public readonly autoScalingGroupName: string;
  /** ARN of the Auto Scaling group. */
  public readonly autoScalingGroupArn: string;
  /** Security group of the instances. */
  public readonly securityGroupId: string;
  /** The instances' security group side: allow flows to and from it with one call. */
  public readonly connections: Connections;
  /** Name of the launch lifecycle hook, undefined when the fleet has none. */
  public readonly launchHookName?: string;
  /** Id of the launch template. */
  public readonly launchTemplateId: string;
  /** Port the inference server listens on. */
  public readonly appPort: number;
  /** VPC of the fleet. */
  public readonly vpcId: string;
  /** Private subnets of the fleet. */
  public readonly subnetIds: readonly string[];
  /** Name of the instances' IAM role. */
  public readonly instanceRoleName: string;
  /** ARN of the instances' IAM role. */
  public readonly instanceRoleArn: string;
  /** Instance type of the fleet (the first Spot type for mixed-instances fleets). */
  public readonly instanceType: string;
  /** Heartbeat timeout of the launch hook in seconds, undefined when the fleet has none. */
  public readonly launchHookHeartbeatTimeoutSeconds?: number;
  /** The cluster the instances join, undefined unless the fleet is made of ECS hosts. */
  public readonly ecsCluster?: IInferenceCluster;
  /** Whether new instances start protected from scale-in. */
  public readonly newInstancesProtectedFromScaleIn: boolean;

  private readonly group: AutoscalingGroup;
  private readonly tags: Readonly<Record<string, string>>;
  private readonly grants: RoleGrants;

  constructor(scope: Construct, id: string, props: InferenceFleetProps) {
    super(scope, id);
    validateFleetProps(this, props);
    this.warnAboutRiskyDefaults(props);
    this.tags = props.tags ?? {};
    this.appPort = props.appPort ?? props.loadBalancer?.targetPort ?? 80;
    this.ecsCluster = props.ecsHost?.cluster;
    this.newInstancesProtectedFromScaleIn = props.ecsHost ? (props.ecsHost.scaleInProtection ?? true) : false;
    this.vpcId = props.vpcId;
    this.subnetIds = props.subnetIds;
    this.autoScalingGroupName = props.name;
    this.instanceType = props.spot ? props.spot.instanceTypes[0] : (props.instanceType ?? "c6i.xlarge");

    const securityGroup = this.securityGroup(props);
    this.securityGroupId = securityGroup.id;
    this.connections = Connections.forOwner(this, securityGroup.id, this.tags);
    this.allowClients(props);
    const { role, ssmAccess, partition } = this.instanceRole(props.name);
    this.instanceRoleName = role.name;
    this.instanceRoleArn = role.arn;
    this.grants = new RoleGrants(this, role.name);
    const profile = new IamInstanceProfile(this, "InstanceProfile", { name: `${props.name}-instance`, role: role.name, tags: this.tags });
    const launchTemplate = this.launchTemplate(props, securityGroup, profile);
    // The first instances should boot with Session Manager access already attached.
    launchTemplate.dependsOn = [dependable(ssmAccess)];
    this.launchTemplateId = launchTemplate.id;

    const hook = props.launchHook ? launchHookSpec(props.name, props.launchHook) : undefined;
    this.launchHookName = hook?.name;
    this.launchHookHeartbeatTimeoutSeconds = hook?.heartbeatTimeout;
    this.group = new AutoscalingGroup(this, "AutoScalingGroup", this.groupConfig(props, launchTemplate, hook));
    this.autoScalingGroupArn = this.group.arn;
    if (props.ecsHost) this.grantEcsHost(props.name, props.ecsHost, partition);

    if (hook) {
      // Same name as the initial hook: PutLifecycleHook updates it in place, so later changes to
      // timeout, result or metadata are applied (the group ignores changes to its initial hook).
      new AutoscalingLifecycleHook(this, "LaunchHook", { ...hook, autoscalingGroupName: this.group.name });
    }
    if (props.scaling && props.loadBalancer) this.scalingPolicy(props.name, props.scaling, props.loadBalancer);
  }

  /**
   * Admits the app port from another security group (the warmup Lambda's, a monitoring agent's):
   * ingress on the instances, egress on the peer.
   */
  public allowAppTrafficFrom(peer: IConnectable, description: string): void {
    this.connections.allowFrom(peer, Port.tcp(this.appPort), description);
  }

  /** Adds a statement to the instances' role (model stores, queues, parameters). */
  public addToInstanceRolePolicy(statement: PolicyStatement): void {
    const firstGrant = this.grants.resource === undefined;
    this.grants.add(statement);
    // Instances fetch models during set-up: the first ones must boot with the grants in place.
    if (firstGrant && this.grants.resource) this.addLaunchDependency(this.grants.resource);
  }

  /** Lets the instances read models from an S3 bucket (a prefix of it, and its KMS key). */
  public grantModelStoreRead(store: ModelStore): void {
    grantModelStoreRead(this.instanceGrantee(), store);
  }

  /** The instances' role as a grant target for functions such as grantModelStoreRead. */
  public instanceGrantee(): IGrantable {
    return { addToRolePolicy: (statement) => this.addToInstanceRolePolicy(statement) };
  }

  /**
   * Makes the group wait for these resources before it launches its first instance, so that
   * whatever reacts to its lifecycle events already exists when the first event fires.
   */
  public addLaunchDependency(...dependencies: ITerraformDependable[]): void {
    this.group.dependsOn = [...(this.group.dependsOn ?? []), ...dependencies.map(dependable)];
  }

  /**
   * What the ECS agent and the user data need, scoped to the cluster where ECS allows it (the
   * managed AmazonEC2ContainerServiceforEC2Role would allow every cluster, CreateCluster and logs).
   */
  private grantEcsHost(groupName: string, host: EcsHostProps, partition: string): void {
    const clusterArn = host.cluster.clusterArn;
    this.addToInstanceRolePolicy({
      sid: "EcsAgentRegistration",
      actions: ["ecs:RegisterContainerInstance", "ecs:DeregisterContainerInstance", "ecs:Submit*"],
      resources: [clusterArn],
    });
    // These act on container instances that do not exist yet: scoped by their cluster instead.
    this.addToInstanceRolePolicy({
      sid: "EcsAgentPolling",
      actions: ["ecs:Poll", "ecs:StartTelemetrySession"],
      resources: ["*"],
      conditions: [{ test: "ArnEquals", variable: "ecs:cluster", values: [clusterArn] }],
    });
    // Neither supports resource-level permissions.
    this.addToInstanceRolePolicy({ sid: "EcsAgentDiscovery", actions: ["ecs:DiscoverPollEndpoint", "ecr:GetAuthorizationToken"], resources: ["*"] });
    // The user data tags its own instance "host ready"; only that key, only on this group's instances.
    this.addToInstanceRolePolicy({
      sid: "HostReadyTag",
      actions: ["ec2:CreateTags"],
      resources: [`arn:${partition}:ec2:*:*:instance/*`],
      conditions: [
        { test: "StringEquals", variable: "ec2:ResourceTag/aws:autoscaling:groupName", values: [groupName] },
        { test: "ForAllValues:StringEquals", variable: "aws:TagKeys", values: [HOST_READY_TAG] },
      ],
    });
    const repositories = host.prePullRepositoryArns ?? (host.prePullImages ?? []).flatMap((image) => ecrRepositoryArnOfImage(image, partition) ?? []);
    if (repositories.length > 0) {
      this.addToInstanceRolePolicy({
        sid: "PrePullImages",
        actions: ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:BatchCheckLayerAvailability"],
        resources: [...new Set(repositories)],
      });
    }
  }

  private securityGroup(props: InferenceFleetProps): SecurityGroup {
    // A name prefix: a change that replaces the group (its description, say) creates the new
    // group before the old one is deleted, which a fixed name would make impossible.
    return new SecurityGroup(this, "SecurityGroup", {
      namePrefix: `${props.name}-instances-`,
      description: `Instances of ${props.name}: app port from the ALB and named groups only`,
      vpcId: props.vpcId,
      tags: { ...this.tags, Name: `${props.name}-instances` },
      lifecycle: { createBeforeDestroy: true },
    });
  }

  private allowClients(props: InferenceFleetProps): void {
    const app = Port.tcp(this.appPort);
    // ECS hosts take no traffic themselves: awsvpc tasks have their own security groups.
    if (props.loadBalancer) this.connections.allowFrom(props.loadBalancer, app, `ALB to the inference server of ${props.name}`);
    for (const [name, groupId] of Object.entries(props.additionalIngressSecurityGroups ?? {})) {
      this.connections.allowFrom(Connections.fromSecurityGroupId(name, groupId), app, `${name} to the inference server`);
    }
    for (const cidr of props.httpsEgressCidrBlocks ?? ["0.0.0.0/0"]) {
      this.connections.allowToCidr(cidr, Port.tcp(443), "HTTPS to SSM, package repositories and model stores");
    }
  }

  private warnAboutRiskyDefaults(props: InferenceFleetProps): void {
    const annotations = Annotations.of(this);
    if (props.httpsEgressCidrBlocks === undefined) {
      annotations.addWarning(
        `InferenceFleet ${props.name}: instances may reach any address on 443 (httpsEgressCidrBlocks defaults to ["0.0.0.0/0"]). ` +
          "Set httpsEgressCidrBlocks to what the instances need (VPC endpoints, your model store), or to [\"0.0.0.0/0\"] to keep it and silence this warning.",
      );
    }
    const host = props.ecsHost;
    if (host && host.prePullRepositoryArns === undefined && (host.prePullImages ?? []).some((image) => isUnresolved(image))) {
      annotations.addWarning(
        `InferenceFleet ${props.name}: a pre-pulled image is only known at apply time, so no ECR pull permission was derived from it. Set ecsHost.prePullRepositoryArns if it is an ECR image.`,
      );
    }
    if (props.scaling && props.desiredCapacity !== undefined) {
      annotations.addWarning(
        `InferenceFleet ${props.name}: desiredCapacity (${props.desiredCapacity}) applies only when the group is created; the scaling policy owns it afterwards and Terraform ignores it. Leave it out to start at minSize.`,
      );
    }
  }

  private instanceRole(name: string): { role: IamRole; ssmAccess: IamRolePolicyAttachment; partition: string } {
    const partition = new DataAwsPartition(this, "Partition");
    const role = new IamRole(this, "InstanceRole", {
      name: `${name}-instance`,
      description: `Instances of ${name}: SSM Session Manager only`,
      assumeRolePolicy: assumeRolePolicy(this, "InstanceTrustPolicy", "ec2.amazonaws.com"),
      tags: this.tags,
    });
    const ssmAccess = new IamRolePolicyAttachment(this, "SsmManagedInstanceCore", {
      role: role.name,
      policyArn: `arn:${partition.partition}:iam::aws:policy/AmazonSSMManagedInstanceCore`,
    });
    return { role, ssmAccess, partition: partition.partition };
  }

  private launchTemplate(props: InferenceFleetProps, securityGroup: SecurityGroup, profile: IamInstanceProfile): LaunchTemplate {
    const root = props.rootVolume ?? {};
    const hibernated = props.warmPool?.poolState === WarmPoolState.HIBERNATED;
    const volumeTags = { ...this.tags, Name: props.name };
    return new LaunchTemplate(this, "LaunchTemplate", {
      name: props.name,
      description: `Inference servers of ${props.name}`,
      imageId: imageIdOf(props),
      instanceType: props.spot ? undefined : (props.instanceType ?? "c6i.xlarge"),
      userData: userDataOf(props),
      updateDefaultVersion: true,
      iamInstanceProfile: { arn: profile.arn },
      networkInterfaces: [
        {
          deviceIndex: 0,
          associatePublicIpAddress: "false",
          deleteOnTermination: "true",
          securityGroups: [securityGroup.id],
        },
      ],
      metadataOptions: {
        httpEndpoint: "enabled",
        httpTokens: "required",
        httpPutResponseHopLimit: props.allowContainerImdsAccess ? 2 : 1,
        instanceMetadataTags: "disabled",
      },
      blockDeviceMappings: [
        {
          deviceName: root.deviceName ?? "/dev/xvda",
          ebs: {
            volumeType: "gp3",
            volumeSize: root.sizeGiB ?? 30,
            encrypted: String(root.encrypted ?? true),
            kmsKeyId: root.kmsKeyId,
            deleteOnTermination: "true",
          },
        },
      ],
      monitoring: { enabled: props.detailedMonitoring ?? false },
      hibernationOptions: hibernated ? { configured: true } : undefined,
      tagSpecifications: [{ resourceType: "volume", tags: volumeTags }],
      tags: this.tags,
    });
  }

  private groupConfig(props: InferenceFleetProps, launchTemplate: LaunchTemplate, hook: LaunchHookSpec | undefined): AutoscalingGroupConfig {
    const minSize = props.minSize ?? 1;
    // A pinned version (not $Latest) turns every template change into a group change, which is
    // what starts an instance refresh.
    const templateSpec = { id: launchTemplate.id, version: Token.asString(launchTemplate.latestVersion) };
    const ignoreChanges = [
      ...(hook ? ["initial_lifecycle_hook"] : []),
      // With a scaling policy (or ECS managed scaling on ECS hosts) the desired capacity belongs
      // to Auto Scaling, not to Terraform.
      ...(props.scaling || props.ecsHost ? ["desired_capacity"] : []),
    ];
    // ECS tags a group it manages; declaring the tag keeps the next apply from removing it.
    const groupTags = { ...this.tags, Name: props.name, ...(props.ecsHost ? { AmazonECSManaged: "true" } : {}) };
    return {
      name: props.name,
      minSize,
      maxSize: props.maxSize ?? 4,
      desiredCapacity: props.desiredCapacity ?? minSize,
      vpcZoneIdentifier: [...props.subnetIds],
      targetGroupArns: props.loadBalancer ? [props.loadBalancer.targetGroupArn] : undefined,
      // ECS hosts have no target group: tasks are the targets, the group replaces impaired instances.
      healthCheckType: props.loadBalancer ? "ELB" : "EC2",
      protectFromScaleIn: props.ecsHost ? this.newInstancesProtectedFromScaleIn : undefined,
      healthCheckGracePeriod: props.healthCheckGracePeriodSeconds ?? 300,
      defaultInstanceWarmup: props.defaultInstanceWarmupSeconds ?? 60,
      enabledMetrics: GROUP_METRICS,
      metricsGranularity: "1Minute",
      launchTemplate: props.spot ? undefined : templateSpec,
      mixedInstancesPolicy: props.spot ? mixedInstancesPolicy(props.spot, templateSpec) : undefined,
      capacityRebalance: props.spot ? true : undefined,
      warmPool: props.warmPool ? warmPool(props.warmPool, props.ecsHost !== undefined) : undefined,
      // Sent with CreateAutoScalingGroup, so even the group's very first instances are held.
      initialLifecycleHook: hook ? [hook] : undefined,
      instanceRefresh: props.instanceRefresh
        ? {
            strategy: "Rolling",
            preferences: {
              minHealthyPercentage: props.instanceRefresh.minHealthyPercentage ?? 90,
              maxHealthyPercentage: props.instanceRefresh.maxHealthyPercentage ?? 120,
              skipMatching: props.instanceRefresh.skipMatching ?? true,
              autoRollback: props.spot === undefined,
            },
          }
        : undefined,
      tag: Object.entries(groupTags).map(([key, value]) => ({ key, value, propagateAtLaunch: true })),
      lifecycle: ignoreChanges.length > 0 ? { ignoreChanges } : undefined,
    };
  }

  private scalingPolicy(name: string, scaling: TargetTrackingProps, loadBalancer: LoadBalancerTarget): void {
    const metric = scaling.metric ?? ScalingMetric.ALB_REQUEST_COUNT_PER_TARGET;
    new AutoscalingPolicy(this, "TargetTrackingPolicy", {
      name: `${name}-target-tracking`,
      autoscalingGroupName: this.group.name,
      policyType: "TargetTrackingScaling",
      targetTrackingConfiguration: {
        targetValue: scaling.targetValue,
        disableScaleIn: scaling.disableScaleIn ?? false,
        predefinedMetricSpecification: {
          predefinedMetricType: metric,
          resourceLabel: metric === ScalingMetric.ALB_REQUEST_COUNT_PER_TARGET ? loadBalancer.requestCountResourceLabel : undefined,
        },
      },
    });
  }
}

interface LaunchHookSpec {
  readonly name: string;
  readonly lifecycleTransition: string;
  readonly heartbeatTimeout: number;
  readonly defaultResult: LifecycleDefaultResult;
  readonly notificationMetadata?: string;
}

function launchHookSpec(groupName: string, hook: LaunchHookProps): LaunchHookSpec {
  return {
    name: hook.name ?? `${groupName}-launch`,
    lifecycleTransition: "autoscaling:EC2_INSTANCE_LAUNCHING",
    heartbeatTimeout: hook.heartbeatTimeoutSeconds ?? 600,
    defaultResult: hook.defaultResult ?? LifecycleDefaultResult.ABANDON,
    notificationMetadata: hook.notificationMetadata,
  };
}

function encodeUserData(userData: string): string {
  if (!isUnresolved(userData)) return Buffer.from(userData, "utf8").toString("base64");
  // A script with references becomes a Terraform expression: its text between the references
  // must be raw strings, or its quotes and dollar-braces would be read as Terraform syntax.
  const parts = userData.split(/(\$\{TfToken\[[^\]]+\]\})/).filter((part) => part !== "");
  return Fn.base64encode(Fn.join("", parts.map((part) => (isUnresolved(part) ? part : Fn.rawString(part)))));
}

function warmPool(props: WarmPoolProps, ecsHost: boolean): AutoscalingGroupConfig["warmPool"] {
  return {
    poolState: props.poolState ?? WarmPoolState.STOPPED,
    minSize: props.minSize ?? 0,
    maxGroupPreparedCapacity: props.maxGroupPreparedCapacity,
    // ECS does not support returning container instances to the pool.
    instanceReusePolicy: { reuseOnScaleIn: props.reuseOnScaleIn ?? !ecsHost },
  };
}

/** The image as given, or for ECS hosts the ECS-optimized AL2023 of the type's architecture. */
function imageIdOf(props: InferenceFleetProps): string {
  if (props.imageId !== undefined) return props.imageId;
  const type = props.spot ? props.spot.instanceTypes[0] : (props.instanceType ?? "c6i.xlarge");
  return !isUnresolved(type) && architectureOfInstanceType(type) === "arm64" ? ECS_OPTIMIZED_AMAZON_LINUX_2023_ARM64 : ECS_OPTIMIZED_AMAZON_LINUX_2023;
}

function userDataOf(props: InferenceFleetProps): string | undefined {
  const host = props.ecsHost;
  const script = host
    ? ecsHostUserData({
        clusterName: host.cluster.clusterName,
        imagePullBehavior: host.imagePullBehavior ?? ImagePullBehavior.PREFER_CACHED,
        prePullImages: host.prePullImages ?? [],
        blockTaskImds: !props.allowContainerImdsAccess,
        extraUserData: props.userData,
      })
    : props.userData;
  return script === undefined ? undefined : encodeUserData(script);
}

function mixedInstancesPolicy(spot: SpotProps, templateSpec: { id: string; version: string }): AutoscalingGroupConfig["mixedInstancesPolicy"] {
  return {
    instancesDistribution: {
      onDemandBaseCapacity: spot.onDemandBaseCapacity ?? 1,
      onDemandPercentageAboveBaseCapacity: spot.onDemandPercentageAboveBaseCapacity ?? 0,
      spotAllocationStrategy: spot.allocationStrategy ?? SpotAllocationStrategy.PRICE_CAPACITY_OPTIMIZED,
    },
    launchTemplate: {
      launchTemplateSpecification: { launchTemplateId: templateSpec.id, version: templateSpec.version },
      override: spot.instanceTypes.map((instanceType) => ({ instanceType })),
    },
  };
}

function validateFleetProps(scope: Construct, props: InferenceFleetProps): void {
  // Launch template names need at least 3 characters; the IAM role "<name>-instance" at most 64.
  requireResourceName(scope, "name", props.name, 3, 32, "use 3 to 32 characters; the name prefixes the launch template, IAM role and security group");
  requireNonEmpty(scope, "subnetIds", props.subnetIds, "pass the private subnet ids of the fleet's VPC, for example network.privateSubnetIds");
  requirePort(scope, "appPort", props.appPort);
  requireInstanceType(scope, "instanceType", props.instanceType ?? "c6i.xlarge");
  validateMode(scope, props);
  if (props.imageId !== undefined) validateImageId(scope, props.imageId);
  validateCapacity(scope, props);
  validateWarmPool(scope, props);
  validateSpot(scope, props.spot);
  validateArchitecture(scope, props);
  validateNetworkRules(scope, props);
  const hook = props.launchHook;
  requireIntegerInRange(
    scope,
    "launchHook.heartbeatTimeoutSeconds",
    hook?.heartbeatTimeoutSeconds,
    30,
    7200,
    "use 30 to 7200 seconds; the warmup Lambda records heartbeats, so a few minutes is enough",
  );
  requireIntegerInRange(scope, "rootVolume.sizeGiB", props.rootVolume?.sizeGiB, 8, 16384, "use 8 to 16384 GiB");
  requireIntegerInRange(scope, "instanceRefresh.minHealthyPercentage", props.instanceRefresh?.minHealthyPercentage, 0, 100, "use 0 to 100");
  requireIntegerInRange(scope, "instanceRefresh.maxHealthyPercentage", props.instanceRefresh?.maxHealthyPercentage, 100, 200, "use 100 to 200");
  if (props.scaling && !isUnresolved(props.scaling.targetValue) && !(props.scaling.targetValue > 0)) {
    throw new PropValidationError(scope, "scaling.targetValue", props.scaling.targetValue, "a number greater than 0", "set the requests per target (or CPU percent) to hold");
  }
}

/** Exactly one way to take traffic, and nothing an ECS capacity provider would fight over. */
function validateMode(scope: Construct, props: InferenceFleetProps): void {
  if ((props.loadBalancer === undefined) === (props.ecsHost === undefined)) {
    throw new PropValidationError(
      scope,
      "loadBalancer / ecsHost",
      { loadBalancer: props.loadBalancer ? "set" : undefined, ecsHost: props.ecsHost ? "set" : undefined },
      "exactly one of them: loadBalancer for instances that serve behind an ALB, ecsHost for instances that run ECS tasks",
      "keep loadBalancer for a warm EC2 fleet, or replace it with ecsHost: { cluster } to make the fleet an ECS cluster's capacity",
    );
  }
  if (props.imageId === undefined && props.ecsHost === undefined) {
    throw new PropValidationError(scope, "imageId", undefined, "an AMI id or resolve:ssm: parameter (only ECS hosts have a default)", `use "${AMAZON_LINUX_2023}" for the latest Amazon Linux 2023`);
  }
  if (!props.ecsHost) return;
  if (props.scaling) {
    throw new PropValidationError(
      scope,
      "scaling",
      props.scaling,
      "no target-tracking policy on ECS hosts (ECS managed scaling sizes the group; a second policy would fight it)",
      "remove scaling and use FleetCapacityProvider managedScaling; scale the service's tasks instead",
    );
  }
  if (props.warmPool?.reuseOnScaleIn === true) {
    throw new PropValidationError(
      scope,
      "warmPool.reuseOnScaleIn",
      true,
      "false (or unset) on ECS hosts: ECS does not support returning container instances to the warm pool",
      "remove reuseOnScaleIn; scaled-in hosts are terminated and the pool refills with fresh ones",
    );
  }
}

function validateImageId(scope: Construct, imageId: string): void {
  if (isUnresolved(imageId)) return;
  if (!/^ami-[0-9a-f]{8,17}$/.test(imageId) && !/^resolve:ssm:\S+$/.test(imageId)) {
    throw new PropValidationError(
      scope,
      "imageId",
      imageId,
      'an AMI id ("ami-0123456789abcdef0") or an SSM parameter reference ("resolve:ssm:<parameter>")',
      'use "resolve:ssm:/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64" for the latest Amazon Linux 2023',
    );
  }
}

function validateCapacity(scope: Construct, props: InferenceFleetProps): void {
  const minSize = props.minSize ?? 1;
  const maxSize = props.maxSize ?? 4;
  requireIntegerInRange(scope, "minSize", minSize, 0, 10000, "use a whole number of instances");
  requireIntegerInRange(scope, "maxSize", maxSize, 1, 10000, "use a whole number of instances, at least 1");
  if (minSize > maxSize) {
    throw new PropValidationError(scope, "minSize", minSize, `at most maxSize (${maxSize})`, "lower minSize or raise maxSize");
  }
  const desired = props.desiredCapacity;
  if (desired !== undefined && !isUnresolved(desired) && (desired < minSize || desired > maxSize || !Number.isInteger(desired))) {
    throw new PropValidationError(
      scope,
      "desiredCapacity",
      desired,
      `a whole number from minSize (${minSize}) to maxSize (${maxSize})`,
      "set desiredCapacity within minSize..maxSize, or leave it out to start at minSize",
    );
  }
  requireIntegerInRange(scope, "healthCheckGracePeriodSeconds", props.healthCheckGracePeriodSeconds, 0, 7200, "use 0 to 7200 seconds");
  requireIntegerInRange(scope, "defaultInstanceWarmupSeconds", props.defaultInstanceWarmupSeconds, 0, 3600, "use 0 to 3600 seconds");
}

function validateWarmPool(scope: Construct, props: InferenceFleetProps): void {
  const pool = props.warmPool;
  if (!pool) return;
  if (props.spot) {
    throw new PropValidationError(
      scope,
      "warmPool",
      { warmPool: pool, spot: "set" },
      "a warm pool only for groups without mixed instances or Spot (AWS does not support warm pools with either)",
      "remove spot to keep the warm pool, or remove warmPool to use Spot",
    );
  }
  requireIntegerInRange(scope, "warmPool.minSize", pool.minSize, 0, 10000, "use a whole number of instances");
  if (pool.maxGroupPreparedCapacity !== undefined) {
    const maxSize = props.maxSize ?? 4;
    requireIntegerInRange(
      scope,
      "warmPool.maxGroupPreparedCapacity",
      pool.maxGroupPreparedCapacity,
      Math.max(maxSize, pool.minSize ?? 0),
      10000,
      "use a value of at least maxSize, or leave it out to prepare up to maxSize",
    );
  }
  if (pool.poolState === WarmPoolState.HIBERNATED && props.rootVolume?.encrypted === false) {
    throw new PropValidationError(
      scope,
      "rootVolume.encrypted",
      false,
      "true when warmPool.poolState is Hibernated (hibernation writes RAM to the root volume, which must be encrypted)",
      "remove rootVolume.encrypted = false, or use WarmPoolState.STOPPED",
    );
  }
}

function validateSpot(scope: Construct, spot: SpotProps | undefined): void {
  if (!spot) return;
  requireNonEmpty(scope, "spot.instanceTypes", spot.instanceTypes, 'list several similar types, for example ["c6i.xlarge", "c6a.xlarge", "c7i.xlarge"]');
  spot.instanceTypes.forEach((type, i) => requireInstanceType(scope, `spot.instanceTypes[${i}]`, type));
  requireIntegerInRange(scope, "spot.onDemandBaseCapacity", spot.onDemandBaseCapacity, 0, 10000, "use a whole number of instances");
  requireIntegerInRange(scope, "spot.onDemandPercentageAboveBaseCapacity", spot.onDemandPercentageAboveBaseCapacity, 0, 100, "use 0 to 100");
}

/** An arm64 type cannot boot an x86_64 image (and the reverse): caught here, not at launch. */
function validateArchitecture(scope: Construct, props: InferenceFleetProps): void {
  if (props.imageId === undefined) return;
  const image = architectureOfImage(props.imageId);
  if (image === undefined) return;
  const types = props.spot ? props.spot.instanceTypes.map((t, i) => [`spot.instanceTypes[${i}]`, t] as const) : [["instanceType", props.instanceType ?? "c6i.xlarge"] as const];
  for (const [prop, type] of types) {
    if (isUnresolved(type)) continue;
    const architecture = architectureOfInstanceType(type);
    if (architecture !== undefined && architecture !== image) {
      throw new PropValidationError(
        scope,
        prop,
        type,
        `an ${image} instance type, because imageId ${props.imageId} is an ${image} image`,
        architecture === "arm64"
          ? `use an x86_64 type such as c6i.xlarge, or the arm64 image (${counterpartImage(props.imageId, "arm64")})`
          : `use an arm64 (Graviton) type such as c7g.xlarge, or the x86_64 image (${counterpartImage(props.imageId, "x86_64")})`,
      );
    }
  }
}

/** The same public image for the other architecture. */
function counterpartImage(imageId: string, architecture: "x86_64" | "arm64"): string {
  if (imageId === ECS_OPTIMIZED_AMAZON_LINUX_2023 || imageId === ECS_OPTIMIZED_AMAZON_LINUX_2023_ARM64) {
    return architecture === "arm64" ? ECS_OPTIMIZED_AMAZON_LINUX_2023_ARM64 : ECS_OPTIMIZED_AMAZON_LINUX_2023;
  }
  return architecture === "arm64" ? imageId.replace("x86_64", "arm64") : imageId.replace("arm64", "x86_64");
}

function validateNetworkRules(scope: Construct, props: InferenceFleetProps): void {
  if (props.httpsEgressCidrBlocks !== undefined) requireIpv4Cidrs(scope, "httpsEgressCidrBlocks", props.httpsEgressCidrBlocks);
  for (const name of Object.keys(props.additionalIngressSecurityGroups ?? {})) {
    if (!/^[A-Za-z][A-Za-z0-9]*$/.test(name)) {
      throw new PropValidationError(
        scope,
        "additionalIngressSecurityGroups",
        name,
        "PascalCase names (letters and digits): each names its rule's Terraform address",
        'key each group by what it is, e.g. { Monitoring: "sg-0123" }',
      );
    }
  }
}

