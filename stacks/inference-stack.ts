import { Construct } from "constructs";
import { App, LocalBackend, S3Backend, TerraformOutput, TerraformStack } from "cdktf";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { Network } from "../modules/network";
import { InferenceLoadBalancer } from "../modules/inference-load-balancer";
import { InferenceFleet, LifecycleDefaultResult, ScalingMetric } from "../modules/inference-fleet";
import { VpcEndpoints } from "../modules/vpc-endpoints";
import { WarmupHook } from "../modules/warmup-hook";
import { EnvironmentConfig } from "./environments";
import { validateEnvironment, validateEnvironmentList } from "./environment-validation";
import { useCommittedLockFile } from "./lock-file-synthesizer";

/** The port the ALB forwards to: the server the user data installs must listen on it. */
export const APP_PORT = 80;

/** What a stack needs besides its environment: the server software, which is not the stack's to choose. */
export interface StackInputs {
  /** First-boot bootstrap of every instance; it must serve the model on APP_PORT with a /health path. */
  readonly userData: string;
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

/** One environment: network (or an existing VPC), ALB, the warm inference fleet and its warmup path. */
export class InferenceStack extends TerraformStack {
  public readonly fleet: InferenceFleet;
  public readonly loadBalancer: InferenceLoadBalancer;
  public readonly warmup: WarmupHook;

  constructor(scope: Construct, id: string, environment: EnvironmentConfig, inputs: StackInputs) {
    super(scope, id);
    validateEnvironment(environment);
    const name = stackName(environment);
    new AwsProvider(this, "aws", { region: environment.region, defaultTags: [{ tags: { ...environment.tags } }] });
    this.backend(id, environment);
    useCommittedLockFile(this, id);

    const network = this.network(name, environment);
    this.loadBalancer = new InferenceLoadBalancer(this, "LoadBalancer", {
      name,
      vpcId: network.vpcId,
      subnetIds: network.publicSubnetIds,
      certificateArn: environment.certificateArn,
      targetPort: APP_PORT,
    });
    const fleet = environment.fleet;
    this.fleet = new InferenceFleet(this, "Fleet", {
      name,
      vpcId: network.vpcId,
      subnetIds: network.privateSubnetIds,
      loadBalancer: this.loadBalancer,
      imageId: fleet.imageId,
      instanceType: fleet.instanceType,
      userData: inputs.userData,
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

    const endpoints = new VpcEndpoints(this, "ApiEndpoints", {
      name,
      vpcId: network.vpcId,
      subnetIds: network.privateSubnetIds,
      services: ["ec2", "autoscaling"],
    });
    this.warmup = new WarmupHook(this, "Warmup", { fleet: this.fleet, endpoints, workersPerInstance: fleet.workersPerInstance });

    new TerraformOutput(this, "load_balancer_dns_name", { value: this.loadBalancer.dnsName, description: "Call the inference API here" });
    new TerraformOutput(this, "auto_scaling_group_name", { value: this.fleet.autoScalingGroupName });
    new TerraformOutput(this, "launch_template_id", { value: this.fleet.launchTemplateId });
    new TerraformOutput(this, "warmup_function_name", { value: this.warmup.functionName });
    new TerraformOutput(this, "warmup_log_group_name", { value: this.warmup.logGroupName });
    new TerraformOutput(this, "warmup_dead_letter_queue_arn", { value: this.warmup.deadLetterQueueArn });
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

  private network(name: string, environment: EnvironmentConfig): { vpcId: string; privateSubnetIds: string[]; publicSubnetIds: string[] } {
    if ("existing" in environment.network) {
      const existing = environment.network.existing;
      return { vpcId: existing.vpcId, privateSubnetIds: [...existing.privateSubnetIds], publicSubnetIds: [...existing.publicSubnetIds] };
    }
    return new Network(this, "Network", {
      name,
      cidrBlock: environment.network.cidrBlock,
      availabilityZones: environment.availabilityZones,
      natGateways: environment.network.natGateways,
    });
  }
}
