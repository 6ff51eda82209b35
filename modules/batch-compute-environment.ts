import { Construct } from "constructs";
import { Token } from "cdktf";
import { BatchComputeEnvironment as BatchComputeEnvironmentResource } from "@cdktf/provider-aws/lib/batch-compute-environment";
import { SecurityGroup } from "@cdktf/provider-aws/lib/security-group";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import { IamInstanceProfile } from "@cdktf/provider-aws/lib/iam-instance-profile";
import { LaunchTemplate } from "@cdktf/provider-aws/lib/launch-template";
import { DataAwsPartition } from "@cdktf/provider-aws/lib/data-aws-partition";
import { DataAwsRegion } from "@cdktf/provider-aws/lib/data-aws-region";
import { DataAwsCallerIdentity } from "@cdktf/provider-aws/lib/data-aws-caller-identity";
import { DataAwsIamPolicyDocumentStatement } from "@cdktf/provider-aws/lib/data-aws-iam-policy-document";
import { Connections, IConnectable, Port } from "./connections";
import { assumeRolePolicy, policyDocument } from "./internal/policies";
import { PropValidationError, isUnresolved, requireDistinctCount, requireIntegerInRange, requireIpv4Cidrs } from "./internal/validation";

/** Where a compute environment runs its jobs, and how it pays for the capacity. */
export enum BatchComputeType {
  /** Fargate tasks, on-demand. */
  FARGATE = "FARGATE",
  /** Fargate tasks on spare capacity: up to 70% cheaper, interrupted with two minutes' notice. */
  FARGATE_SPOT = "FARGATE_SPOT",
  /** EC2 instances, on-demand. */
  EC2 = "EC2",
  /** EC2 Spot instances. */
  SPOT = "SPOT",
}

/** The orchestration a job definition is written for; a job queue serves one of them. */
export enum BatchPlatform {
  FARGATE = "FARGATE",
  EC2 = "EC2",
}

/** How Batch picks EC2 instance types when the best fitting one is short. */
export enum BatchAllocationStrategy {
  /** Larger or other types from the list, cheapest vCPU first (on-demand and Spot). */
  BEST_FIT_PROGRESSIVE = "BEST_FIT_PROGRESSIVE",
  /** Spot pools least likely to be interrupted. */
  SPOT_CAPACITY_OPTIMIZED = "SPOT_CAPACITY_OPTIMIZED",
  /** Spot pools least likely to be interrupted, and cheapest among them (AWS's recommendation for Spot). */
  SPOT_PRICE_CAPACITY_OPTIMIZED = "SPOT_PRICE_CAPACITY_OPTIMIZED",
}

/** The ECS-optimized image family Batch launches EC2 instances from. */
export enum BatchImageType {
  /** Amazon Linux 2023. */
  ECS_AL2023 = "ECS_AL2023",
  /** Amazon Linux 2023 with NVIDIA drivers, for GPU instance types. */
  ECS_AL2023_NVIDIA = "ECS_AL2023_NVIDIA",
  /** Amazon Linux 2 (end of support in 2026). */
  ECS_AL2 = "ECS_AL2",
}

/** The platform a compute type belongs to. */
export function platformOfComputeType(computeType: BatchComputeType): BatchPlatform {
  return computeType === BatchComputeType.FARGATE || computeType === BatchComputeType.FARGATE_SPOT ? BatchPlatform.FARGATE : BatchPlatform.EC2;
}

/** What a job queue needs of a compute environment; BatchComputeEnvironment provides it. */
export interface IBatchComputeEnvironment {
  /** ARN of the compute environment. */
  readonly computeEnvironmentArn: string;
  /** Its compute type. */
  readonly computeType: BatchComputeType;
}

/** Settings of EC2 and SPOT compute environments (Fargate accepts none of them). */
export interface Ec2ComputeProps {
  /** Instance types or families Batch may launch; a family lets Batch pick the size that fits the jobs. @default ["c6i"] */
  readonly instanceTypes?: readonly string[];
  /** How instance types are picked. @default - SPOT_PRICE_CAPACITY_OPTIMIZED for SPOT, BEST_FIT_PROGRESSIVE for EC2 */
  readonly allocationStrategy?: BatchAllocationStrategy;
  /** vCPUs kept running while the queue is empty. @default 0 */
  readonly minVcpus?: number;
  /** Highest Spot price as a percentage of on-demand, 1 to 100 (SPOT only). @default - up to the on-demand price */
  readonly bidPercentage?: number;
  /** Image family of the instances. @default BatchImageType.ECS_AL2023 */
  readonly imageType?: BatchImageType;
  /** Size of the encrypted gp3 root volume in GiB, 30 to 16384 (images are pulled onto it). @default 30 */
  readonly rootVolumeSizeGiB?: number;
}

export interface BatchComputeEnvironmentProps {
  /** Prefix of the compute environment's name (Terraform appends a unique suffix), and of its role and security group; 1 to 40 letters, digits, hyphens and underscores. */
  readonly name: string;
  /** VPC of the jobs. */
  readonly vpcId: string;
  /** Private subnets the jobs run in; they need a NAT gateway or VPC endpoints to reach ECR, S3 and CloudWatch Logs. */
  readonly subnetIds: readonly string[];
  /** Fargate, Fargate Spot, EC2 or EC2 Spot. @default BatchComputeType.FARGATE */
  readonly computeType?: BatchComputeType;
  /** Most vCPUs the environment runs at once, across all its jobs. @default 16 */
  readonly maxVcpus?: number;
  /** EC2 settings; only for BatchComputeType.EC2 and SPOT. @default - the C6i family, ECS Amazon Linux 2023, no idle vCPUs */
  readonly ec2?: Ec2ComputeProps;
  /** CIDR blocks the jobs may reach on 443 (ECR, S3, CloudWatch Logs, your APIs). @default ["0.0.0.0/0"] */
  readonly httpsEgressCidrBlocks?: readonly string[];
  /** Tags added to every resource (and, on EC2, to the instances). @default - no extra tags */
  readonly tags?: Readonly<Record<string, string>>;
}

/**
 * A managed AWS Batch compute environment in private subnets, with its own egress-only security
 * group, on Fargate, Fargate Spot, EC2 or EC2 Spot.
 *
 * Replacement-safe: a compute environment attached to a job queue cannot be deleted while the
 * queue still points at it ("Cannot delete, found existing JobQueue relationship",
 * hashicorp/terraform-provider-aws#2044), and a fixed name cannot exist twice. So the name is a
 * prefix and the environment is created before the old one is destroyed: Terraform creates the
 * new one, moves the queue to it, then deletes the old one (#46925, still open, reports that this
 * delete can race Batch's eventual consistency). The compute type is part of the prefix, because
 * Fargate environments refuse a type change in place.
 */
export class BatchComputeEnvironment extends Construct implements IBatchComputeEnvironment, IConnectable {
  /** ARN of the compute environment. */
  public readonly computeEnvironmentArn: string;
  /** Name of the compute environment (the prefix plus a suffix, known after apply). */
  public readonly computeEnvironmentName: string;
  /** Its compute type. */
  public readonly computeType: BatchComputeType;
  /** FARGATE or EC2: the job definitions its queues accept. */
  public readonly platform: BatchPlatform;
  /** Security group of the jobs (Fargate) or instances (EC2). */
  public readonly securityGroupId: string;
  /** The security group side: allow more flows from it with one call. */
  public readonly connections: Connections;
  /** ARN of the ECS instance role, undefined on Fargate. */
  public readonly instanceRoleArn?: string;

  constructor(scope: Construct, id: string, props: BatchComputeEnvironmentProps) {
    super(scope, id);
    this.computeType = props.computeType ?? BatchComputeType.FARGATE;
    this.platform = platformOfComputeType(this.computeType);
    validateComputeEnvironmentProps(this, props, this.computeType);
    const tags = props.tags ?? {};
    const prefix = `${props.name}-${this.computeType.toLowerCase().replace("_", "-")}`;

    const securityGroup = new SecurityGroup(this, "SecurityGroup", {
      namePrefix: `${prefix}-`,
      description: `Batch jobs of ${props.name}: egress only`,
      vpcId: props.vpcId,
      tags: { ...tags, Name: prefix },
      lifecycle: { createBeforeDestroy: true },
    });
    this.securityGroupId = securityGroup.id;
    this.connections = Connections.forOwner(this, securityGroup.id, tags);
    for (const cidr of props.httpsEgressCidrBlocks ?? ["0.0.0.0/0"]) {
      this.connections.allowToCidr(cidr, Port.tcp(443), "Batch jobs: ECR, S3, CloudWatch Logs and AWS APIs");
    }

    const ec2 = this.platform === BatchPlatform.EC2 ? this.ec2Resources(prefix, props, tags) : undefined;
    this.instanceRoleArn = ec2?.instanceRoleArn;
    const environment = new BatchComputeEnvironmentResource(this, "ComputeEnvironment", {
      computeEnvironmentNamePrefix: `${prefix}-`,
      type: "MANAGED",
      state: "ENABLED",
      // No service_role: the service-linked role, which EC2 environments need for in-place updates.
      computeResources: {
        type: this.computeType,
        maxVcpus: props.maxVcpus ?? 16,
        subnets: [...props.subnetIds],
        securityGroupIds: [securityGroup.id],
        ...ec2?.computeResources,
      },
      tags,
      lifecycle: { createBeforeDestroy: true },
      // EC2 instances must boot with the instance role's policy already attached.
      dependsOn: ec2?.dependsOn,
    });
    this.computeEnvironmentArn = environment.arn;
    this.computeEnvironmentName = environment.computeEnvironmentName;
  }

  /** The EC2 side: instance role and profile, launch template, and the compute resources using them. */
  private ec2Resources(prefix: string, props: BatchComputeEnvironmentProps, tags: Readonly<Record<string, string>>) {
    const ec2 = props.ec2 ?? {};
    const { role, profile, agentPolicy } = this.instanceRole(prefix, props.name, tags);
    const template = this.launchTemplate(prefix, props.name, ec2.rootVolumeSizeGiB ?? 30, tags);
    const spot = this.computeType === BatchComputeType.SPOT;
    const computeResources = {
      instanceType: [...(ec2.instanceTypes ?? ["c6i"])],
      allocationStrategy: ec2.allocationStrategy ?? (spot ? BatchAllocationStrategy.SPOT_PRICE_CAPACITY_OPTIMIZED : BatchAllocationStrategy.BEST_FIT_PROGRESSIVE),
      minVcpus: ec2.minVcpus ?? 0,
      bidPercentage: ec2.bidPercentage,
      instanceRole: profile.arn,
      ec2Configuration: [{ imageType: ec2.imageType ?? BatchImageType.ECS_AL2023 }],
      // The latest version, not $Default: a template change then replaces the environment
      // (create before destroy) instead of being silently ignored by existing instances.
      launchTemplate: { launchTemplateId: template.id, version: Token.asString(template.latestVersion) },
      tags: { ...tags, Name: prefix },
    };
    return { computeResources, instanceRoleArn: role.arn, dependsOn: [agentPolicy] };
  }

  private instanceRole(prefix: string, name: string, tags: Readonly<Record<string, string>>) {
    const partition = new DataAwsPartition(this, "Partition").partition;
    const region = new DataAwsRegion(this, "Region").name;
    const account = new DataAwsCallerIdentity(this, "Account").accountId;
    const role = new IamRole(this, "InstanceRole", {
      name: `${prefix}-instance`,
      description: `ECS container instances of ${name}: the ECS agent's calls only (jobs get their own roles)`,
      assumeRolePolicy: assumeRolePolicy(this, "InstanceTrustPolicy", "ec2.amazonaws.com"),
      tags,
    });
    const agentPolicy = new IamRolePolicy(this, "EcsAgentPolicy", {
      name: "ecs-agent",
      role: role.name,
      policy: policyDocument(this, "EcsAgentPolicyDocument", ecsAgentStatements(`arn:${partition}:ecs:${region}:${account}`)),
    });
    const profile = new IamInstanceProfile(this, "InstanceProfile", { name: `${prefix}-instance`, role: role.name, tags });
    return { role, profile, agentPolicy };
  }

  private launchTemplate(prefix: string, name: string, rootVolumeSizeGiB: number, tags: Readonly<Record<string, string>>): LaunchTemplate {
    return new LaunchTemplate(this, "LaunchTemplate", {
      namePrefix: `${prefix}-`,
      description: `Batch instances of ${name}: IMDSv2 only, encrypted root`,
      // Hop limit 1: job containers (bridge networking, one hop further) cannot reach the instance role through IMDS.
      metadataOptions: { httpEndpoint: "enabled", httpTokens: "required", httpPutResponseHopLimit: 1 },
      blockDeviceMappings: [{ deviceName: "/dev/xvda", ebs: { volumeType: "gp3", volumeSize: rootVolumeSizeGiB, encrypted: "true", deleteOnTermination: "true" } }],
      tags,
      lifecycle: { createBeforeDestroy: true },
    });
  }
}

/**
 * What the ECS container agent on a Batch instance calls, instead of AWS's
 * AmazonEC2ContainerServiceforEC2Role (AWS Managed Policy reference,
 * /aws-managed-policy/latest/reference/AmazonEC2ContainerServiceforEC2Role.html), which allows
 * every ECR repository and every log group of the account. Left out of it:
 * - ecs:CreateCluster (and its tag-on-create): Batch creates and owns the environment's cluster.
 * - ECR repository actions (BatchGetImage, GetDownloadUrlForLayer, BatchCheckLayerAvailability)
 *   and logs:CreateLogStream/PutLogEvents: the agent pulls the image and the awslogs driver writes
 *   with the job definition's execution role, which may pull only its image's repository and
 *   write only its log group. The instance role would otherwise let every job's image be pulled
 *   from any repository and logs be written anywhere.
 * - ec2:DescribeTags: the agent calls it only with ECS_CONTAINER_INSTANCE_PROPAGATE_TAGS_FROM=ec2_instance
 *   in its config, which the launch template (no user data) does not set.
 * Resource types per action: Service Authorization Reference, "Actions, resources, and condition
 * keys for Amazon Elastic Container Service" (/service-authorization/latest/reference/list_amazonelasticcontainerservice.html).
 */
function ecsAgentStatements(ecsArnPrefix: string): DataAwsIamPolicyDocumentStatement[] {
  const clusters = `${ecsArnPrefix}:cluster/*`;
  const containerInstances = `${ecsArnPrefix}:container-instance/*`;
  return [
    // Register into, report to and leave the Batch-managed cluster (Submit*: task, container and attachment state changes).
    { sid: "AgentOnClusters", effect: "Allow", actions: ["ecs:RegisterContainerInstance", "ecs:DeregisterContainerInstance", "ecs:Submit*"], resources: [clusters] },
    // Poll for work, send metrics, drain: on the instance's own container instance.
    { sid: "AgentOnContainerInstances", effect: "Allow", actions: ["ecs:Poll", "ecs:StartTelemetrySession", "ecs:UpdateContainerInstancesState"], resources: [containerInstances] },
    // DiscoverPollEndpoint supports no resource-level permissions.
    { sid: "DiscoverPollEndpoint", effect: "Allow", actions: ["ecs:DiscoverPollEndpoint"], resources: ["*"] },
    // Tags on the container instance at registration only, never on existing resources.
    {
      sid: "TagOnRegistration",
      effect: "Allow",
      actions: ["ecs:TagResource"],
      resources: [containerInstances],
      condition: [{ test: "StringEquals", variable: "ecs:CreateAction", values: ["RegisterContainerInstance"] }],
    },
    // GetAuthorizationToken supports no resource-level permissions and grants no repository access by itself.
    { sid: "EcrLogin", effect: "Allow", actions: ["ecr:GetAuthorizationToken"], resources: ["*"] },
  ];
}

function validateComputeEnvironmentProps(scope: Construct, props: BatchComputeEnvironmentProps, computeType: BatchComputeType): void {
  validatePrefix(scope, props.name);
  requireDistinctCount(scope, "subnetIds", props.subnetIds, 1, "one or more distinct subnet ids", "pass the private subnet ids, for example network.privateSubnetIds");
  requireIntegerInRange(scope, "maxVcpus", props.maxVcpus, 1, 100_000, "use the most vCPUs all running jobs may use together");
  if (props.httpsEgressCidrBlocks !== undefined) requireIpv4Cidrs(scope, "httpsEgressCidrBlocks", props.httpsEgressCidrBlocks);
  if (platformOfComputeType(computeType) === BatchPlatform.FARGATE) {
    rejectEc2SettingsOnFargate(scope, props, computeType);
  } else {
    validateEc2Settings(scope, props, computeType);
  }
}

function validatePrefix(scope: Construct, name: string): void {
  if (isUnresolved(name)) return;
  // 40 leaves room for "-fargate-spot-instance" in IAM names (64) and Terraform's 26-character suffix.
  if (!/^[A-Za-z0-9][A-Za-z0-9_-]{0,39}$/.test(name)) {
    throw new PropValidationError(scope, "name", name, "1 to 40 letters, digits, hyphens and underscores, starting with a letter or digit", 'use a short name such as "nightly"');
  }
}

/**
 * Fargate environments accept no instance settings at creation, and AWS updates only subnets,
 * security groups and max vCPUs in place afterwards (Batch user guide, "Compute environments on
 * Fargate" and "Updating compute environments"): any EC2 setting is refused here.
 */
function rejectEc2SettingsOnFargate(scope: Construct, props: BatchComputeEnvironmentProps, computeType: BatchComputeType): void {
  if (props.ec2 === undefined) return;
  const set = Object.entries(props.ec2).filter(([, value]) => value !== undefined).map(([key]) => key);
  throw new PropValidationError(
    scope,
    "ec2",
    props.ec2,
    `no EC2 settings with computeType ${computeType}: Fargate compute environments do not accept instance types, allocation strategy, min or desired vCPUs, instance role, image, key pair, bid percentage, placement group or launch template`,
    set.length > 0 ? `remove ec2 (${set.join(", ")}), or use BatchComputeType.EC2 or SPOT` : "remove ec2",
  );
}

function validateEc2Settings(scope: Construct, props: BatchComputeEnvironmentProps, computeType: BatchComputeType): void {
  const ec2 = props.ec2 ?? {};
  if (ec2.instanceTypes !== undefined) {
    requireDistinctCount(scope, "ec2.instanceTypes", ec2.instanceTypes, 1, "one or more distinct instance types or families", 'list families or types, e.g. ["c6i", "c7i"]');
    const invalid = ec2.instanceTypes.find((type) => !isUnresolved(type) && !/^(optimal|default_x86_64|default_arm64|[a-z][a-z0-9-]*\d[a-z0-9-]*(\.[a-z0-9-]+)?)$/.test(type));
    if (invalid !== undefined) {
      throw new PropValidationError(scope, "ec2.instanceTypes", invalid, 'an instance family ("c6i"), type ("c6i.2xlarge") or "optimal"', "use the EC2 API names");
    }
  }
  requireIntegerInRange(scope, "ec2.minVcpus", ec2.minVcpus, 0, props.maxVcpus ?? 16, "keep minVcpus at most maxVcpus (0 scales to nothing between runs)");
  requireIntegerInRange(scope, "ec2.rootVolumeSizeGiB", ec2.rootVolumeSizeGiB, 30, 16384, "use 30 to 16384 GiB (the ECS image needs 30)");
  const spot = computeType === BatchComputeType.SPOT;
  if (ec2.bidPercentage !== undefined && !spot) {
    throw new PropValidationError(scope, "ec2.bidPercentage", ec2.bidPercentage, "only with BatchComputeType.SPOT", "remove bidPercentage, or use SPOT");
  }
  requireIntegerInRange(scope, "ec2.bidPercentage", ec2.bidPercentage, 1, 100, "use 1 to 100 percent of the on-demand price");
  const strategy = ec2.allocationStrategy;
  if (strategy !== undefined && strategy !== BatchAllocationStrategy.BEST_FIT_PROGRESSIVE && !spot) {
    throw new PropValidationError(scope, "ec2.allocationStrategy", strategy, "BEST_FIT_PROGRESSIVE for on-demand EC2 (the SPOT_* strategies pick Spot pools)", "use BEST_FIT_PROGRESSIVE, or BatchComputeType.SPOT");
  }
}
