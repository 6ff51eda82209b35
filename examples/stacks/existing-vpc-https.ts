// Deploying into a VPC someone else owns: its subnet ids instead of a Network, HTTPS with an ACM
// certificate (HTTP redirects), and large instances kept Hibernated so their loaded models
// survive in the pool.
import { Construct } from "constructs";
import { LocalBackend, TerraformOutput, TerraformStack } from "cdktf";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { InferenceFleet, InferenceLoadBalancer, LifecycleDefaultResult, ScalingMetric, WarmPoolState, WarmupHook } from "../../modules";
import { inferenceServerUserData } from "../inference-server/user-data";

/** The VPC's ids: two AZs each, public subnets for the ALB, private ones for the instances. */
const VPC = {
  vpcId: "vpc-0abc",
  publicSubnetIds: ["subnet-u1", "subnet-u2"],
  privateSubnetIds: ["subnet-p1", "subnet-p2"],
};

const CERTIFICATE_ARN = "arn:aws:acm:eu-west-1:123456789012:certificate/00000000-0000-0000-0000-000000000000";

export class ExistingVpcHttpsStack extends TerraformStack {
  constructor(scope: Construct, id: string) {
    super(scope, id);
    new AwsProvider(this, "aws", { region: "eu-west-1", defaultTags: [{ tags: { Project: id } }] });
    new LocalBackend(this, { path: `terraform.${id}.tfstate` });

    const loadBalancer = new InferenceLoadBalancer(this, "LoadBalancer", { name: id, vpcId: VPC.vpcId, subnetIds: VPC.publicSubnetIds, certificateArn: CERTIFICATE_ARN });
    const fleet = new InferenceFleet(this, "Fleet", {
      name: id,
      vpcId: VPC.vpcId,
      subnetIds: VPC.privateSubnetIds,
      loadBalancer,
      imageId: "resolve:ssm:/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64",
      instanceType: "c6i.8xlarge",
      userData: inferenceServerUserData({ port: 80 }),
      // Hibernation writes RAM (64 GiB on c6i.8xlarge) to the encrypted root volume.
      rootVolume: { sizeGiB: 200 },
      maxSize: 12,
      warmPool: { poolState: WarmPoolState.HIBERNATED, minSize: 1 },
      launchHook: { heartbeatTimeoutSeconds: 600, defaultResult: LifecycleDefaultResult.ABANDON },
      scaling: { metric: ScalingMetric.ALB_REQUEST_COUNT_PER_TARGET, targetValue: 300 },
    });
    // No endpoints: this VPC's NAT carries the Lambda's EC2 and Auto Scaling calls.
    new WarmupHook(this, "Warmup", { fleet });

    new TerraformOutput(this, "load_balancer_dns_name", { value: loadBalancer.dnsName });
  }
}
