import { Construct } from "constructs";
import { App, ITerraformDependable, LocalBackend, S3Backend, TerraformOutput, TerraformStack } from "cdktf";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { Network } from "../modules/network";
import { InferenceLoadBalancer, LoadBalancerScheme } from "../modules/inference-load-balancer";
import { LoadBalancerLogBucket } from "../modules/load-balancer-log-bucket";
import { InferenceWebAcl } from "../modules/inference-web-acl";
import { InferenceFleet, LifecycleDefaultResult, ScalingMetric } from "../modules/inference-fleet";
import { VpcEndpoints } from "../modules/vpc-endpoints";
import { InstanceLogGroupNames, InstanceLogGroups } from "../modules/instance-log-groups";
import { WarmupHook } from "../modules/warmup-hook";
import { WarmupReconciler } from "../modules/warmup-reconciler";
import { FleetAlarms } from "../modules/fleet-alarms";
import { FleetDashboard } from "../modules/fleet-dashboard";
import { EnvironmentConfig } from "./environments";
import { validateEnvironment, validateEnvironmentList } from "./environment-validation";
import { useCommittedLockFile } from "./lock-file-synthesizer";

/** The port the ALB forwards to: the server the user data installs must listen on it. */
export const APP_PORT = 80;

/** What a stack needs besides its environment: the server software, which is not the stack's to choose. */
export interface StackInputs {
  /**
   * First-boot bootstrap of every instance; it must serve the model on APP_PORT with a /health path.
   * As a function it gets the names of the stack's instance log groups, to ship its logs there.
   */
  readonly userData: string | ((logGroups: InstanceLogGroupNames) => string);
}

export function stackName(environment: EnvironmentConfig): string {
  return `warmfleet-${environment.name}`;
}

/** One stack per environment, ordered by each environment's dependsOn; the list is validated first. */
export function buildStacks(app: App, environments: readonly EnvironmentConfig[], inputs: StackInputs): InferenceStack[] {
  validateEnvironmentList(environments);
  const stacks = new Map(environments.map((environment) => [environment.name, new InferenceStack(app, stackName(environment), environment, inputs)]));
  // validateEnvironmentList has made sure every name looked up here is in the map.
  for (const environment of environments) {
    const stack = stacks.get(environment.name) as InferenceStack;
    for (const dependency of environment.dependsOn ?? []) stack.addDependency(stacks.get(dependency) as InferenceStack);
  }
  return [...stacks.values()];
}

/** What the stack uses of its network, whether it creates it or an environment names an existing one. */
interface NetworkReferences {
  readonly vpcId: string;
  readonly privateSubnetIds: string[];
  readonly publicSubnetIds: string[];
  readonly dynamoDbPrefixListId?: string;
  readonly gatewayEndpoints: readonly ITerraformDependable[];
}

/** One environment: network (or an existing VPC), ALB, the warm inference fleet and its warmup path. */
export class InferenceStack extends TerraformStack {
  public readonly fleet: InferenceFleet;
  public readonly loadBalancer: InferenceLoadBalancer;
  public readonly warmup: WarmupHook;
  public readonly reconciler: WarmupReconciler;
  public readonly alarms: FleetAlarms;

  constructor(scope: Construct, id: string, environment: EnvironmentConfig, inputs: StackInputs) {
    super(scope, id);
    validateEnvironment(environment);
    const name = stackName(environment);
    new AwsProvider(this, "aws", { region: environment.region, defaultTags: [{ tags: { ...environment.tags } }] });
    this.backend(id, environment);
    useCommittedLockFile(this, id);

    const network = this.network(name, environment);
    this.loadBalancer = this.edge(name, environment, network);
    const fleet = environment.fleet;
    const instanceLogs = new InstanceLogGroups(this, "InstanceLogs", { namePrefix: `/warmfleet/${name}`, retentionDays: environment.disposable ? 14 : 90 });
    this.fleet = new InferenceFleet(this, "Fleet", {
      name,
      vpcId: network.vpcId,
      subnetIds: network.privateSubnetIds,
      loadBalancer: this.loadBalancer,
      imageId: fleet.imageId,
      instanceType: fleet.instanceType,
      userData: typeof inputs.userData === "string" ? inputs.userData : inputs.userData(instanceLogs.names),
      // The example server's bootstrap installs from PyPI through the NAT gateway; bake an AMI
      // (README) to narrow this to the VPC endpoints and the S3 prefix list.
      httpsEgressCidrBlocks: ["0.0.0.0/0"],
      rootVolume: { sizeGiB: fleet.rootVolumeGiB },
      minSize: fleet.minSize,
      maxSize: fleet.maxSize,
      desiredCapacity: fleet.desiredCapacity,
      warmPool: { poolState: fleet.warmPoolState, minSize: fleet.warmPoolMinSize },
      launchHook: { heartbeatTimeoutSeconds: 300, defaultResult: LifecycleDefaultResult.ABANDON },
      scaling: { metric: ScalingMetric.ALB_REQUEST_COUNT_PER_TARGET, targetValue: fleet.requestsPerTargetPerMinute },
      instanceRefresh: { minHealthyPercentage: 90 },
    });
    instanceLogs.grantWrite(this.fleet.instanceGrantee());

    const endpoints = new VpcEndpoints(this, "ApiEndpoints", {
      name,
      vpcId: network.vpcId,
      subnetIds: network.privateSubnetIds,
      services: ["ec2", "autoscaling"],
    });
    // The first instances' warmup takes its leases through the gateway: its route comes first.
    this.fleet.addLaunchDependency(...network.gatewayEndpoints);
    this.warmup = new WarmupHook(this, "Warmup", { fleet: this.fleet, endpoints, workersPerInstance: fleet.workersPerInstance, dynamoDbPrefixListId: network.dynamoDbPrefixListId });
    this.reconciler = new WarmupReconciler(this, "WarmupReconciler", { warmup: this.warmup });
    this.alarms = new FleetAlarms(this, "FleetAlarms", { name, warmup: this.warmup, reconciler: this.reconciler });
    new FleetDashboard(this, "FleetDashboard", { name, warmup: this.warmup, reconciler: this.reconciler, loadBalancer: this.loadBalancer });

    new TerraformOutput(this, "load_balancer_dns_name", { value: this.loadBalancer.dnsName, description: "Call the inference API here" });
    new TerraformOutput(this, "auto_scaling_group_name", { value: this.fleet.autoScalingGroupName });
    new TerraformOutput(this, "launch_template_id", { value: this.fleet.launchTemplateId });
    new TerraformOutput(this, "warmup_function_name", { value: this.warmup.functionName });
    new TerraformOutput(this, "warmup_log_group_name", { value: this.warmup.logGroupName });
    new TerraformOutput(this, "warmup_dead_letter_queue_arn", { value: this.warmup.deadLetterQueueArn });
    new TerraformOutput(this, "warmup_reconciler_function_name", { value: this.reconciler.functionName });
    new TerraformOutput(this, "fleet_alerts_topic_arn", { value: this.alarms.topicArn, description: "Subscribe on-call here" });
  }

  private backend(id: string, environment: EnvironmentConfig): void {
    const state = environment.state;
    if (!state) {
      // An explicit relative path: the implicit local backend writes an absolute one into cdk.tf.json.
      new LocalBackend(this, { path: `terraform.${id}.tfstate` });
      return;
    }
    const backend = new S3Backend(this, {
      bucket: state.bucket,
      key: state.key ?? `warmfleet/${environment.name}/terraform.tfstate`,
      region: state.region ?? environment.region,
      encrypt: true,
      kmsKeyId: state.kmsKeyId,
      dynamodbTable: state.dynamodbTable,
    });
    // S3-native locking (Terraform 1.10+); S3BackendConfig in cdktf 0.21 has no field for it.
    backend.addOverride("use_lockfile", true);
  }

  /** The ALB with the environment's edge settings, its access log bucket and its web ACL. */
  private edge(name: string, environment: EnvironmentConfig, network: NetworkReferences): InferenceLoadBalancer {
    const edge = environment.edge;
    // A disposable environment must be destroyable with its logs; any other keeps them past a destroy.
    const accessLogs =
      edge.accessLogs &&
      new LoadBalancerLogBucket(this, "AccessLogs", { name: `${name}-alb`, region: environment.region, expirationDays: edge.accessLogs.expirationDays, forceDestroy: environment.disposable });
    // Without a certificate the ALB is internal, and an internal ALB belongs in the private subnets.
    const scheme = edge.scheme ?? (environment.certificateArn === undefined ? LoadBalancerScheme.INTERNAL : LoadBalancerScheme.INTERNET_FACING);
    const loadBalancer = new InferenceLoadBalancer(this, "LoadBalancer", {
      name,
      vpcId: network.vpcId,
      subnetIds: scheme === LoadBalancerScheme.INTERNAL ? network.privateSubnetIds : network.publicSubnetIds,
      scheme,
      certificateArn: environment.certificateArn,
      sslPolicy: edge.sslPolicy,
      allowedCidrBlocks: edge.allowedCidrBlocks,
      allowedPrefixListIds: edge.allowedPrefixListIds,
      deletionProtection: edge.deletionProtection,
      idleTimeoutSeconds: edge.idleTimeoutSeconds,
      accessLogs,
      targetPort: APP_PORT,
    });
    if (edge.waf) new InferenceWebAcl(this, "WebAcl", { name, loadBalancerArn: loadBalancer.loadBalancerArn, ...edge.waf });
    return loadBalancer;
  }

  private network(name: string, environment: EnvironmentConfig): NetworkReferences {
    if ("existing" in environment.network) {
      const existing = environment.network.existing;
      return {
        vpcId: existing.vpcId,
        privateSubnetIds: [...existing.privateSubnetIds],
        publicSubnetIds: [...existing.publicSubnetIds],
        dynamoDbPrefixListId: existing.dynamoDbPrefixListId,
        gatewayEndpoints: [],
      };
    }
    return new Network(this, "Network", {
      name,
      cidrBlock: environment.network.cidrBlock,
      availabilityZones: environment.availabilityZones,
      natGateways: environment.network.natGateways,
      flowLogs: environment.edge.flowLogs,
    });
  }
}
