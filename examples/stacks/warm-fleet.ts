// The library-only version of warmfleet's own app: a new VPC, an internal ALB (no certificate, so
// not internet-facing: see production-edge for HTTPS, WAF and logs), a Stopped warm pool held by a
// launch hook, interface endpoints, and the warmup Lambda that completes it.
import { Construct } from "constructs";
import { LocalBackend, TerraformOutput, TerraformStack } from "cdktf";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { InferenceFleet, InferenceLoadBalancer, LifecycleDefaultResult, NatGateways, Network, ScalingMetric, VpcEndpoints, WarmPoolState, WarmupHook } from "../../modules";
import { inferenceServerUserData } from "../inference-server/user-data";

export class WarmFleetStack extends TerraformStack {
  constructor(scope: Construct, id: string) {
    super(scope, id);
    new AwsProvider(this, "aws", { region: "us-east-1", defaultTags: [{ tags: { Project: id } }] });
    // A relative path: the implicit local backend would write this machine's absolute path.
    new LocalBackend(this, { path: `terraform.${id}.tfstate` });

    const network = new Network(this, "Network", { name: id, availabilityZones: ["us-east-1a", "us-east-1b"], natGateways: NatGateways.SINGLE });
    const loadBalancer = new InferenceLoadBalancer(this, "LoadBalancer", { name: id, vpcId: network.vpcId, subnetIds: network.privateSubnetIds, targetPort: 80 });
    const fleet = new InferenceFleet(this, "Fleet", {
      name: id,
      vpcId: network.vpcId,
      subnetIds: network.privateSubnetIds,
      loadBalancer,
      imageId: "resolve:ssm:/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64",
      instanceType: "c6i.xlarge",
      userData: inferenceServerUserData({ port: 80 }),
      warmPool: { poolState: WarmPoolState.STOPPED, minSize: 1 },
      // ABANDON: an instance the warmup Lambda never completed is replaced, never put in service cold.
      launchHook: { heartbeatTimeoutSeconds: 300, defaultResult: LifecycleDefaultResult.ABANDON },
      scaling: { metric: ScalingMetric.ALB_REQUEST_COUNT_PER_TARGET, targetValue: 600 },
      instanceRefresh: { minHealthyPercentage: 90 },
    });
    // The Lambda calls EC2 and Auto Scaling from the private subnets without going through NAT.
    const endpoints = new VpcEndpoints(this, "ApiEndpoints", { name: id, vpcId: network.vpcId, subnetIds: network.privateSubnetIds, services: ["ec2", "autoscaling"] });
    fleet.addLaunchDependency(...network.gatewayEndpoints);
    const warmup = new WarmupHook(this, "Warmup", { fleet, endpoints, dynamoDbPrefixListId: network.dynamoDbPrefixListId });

    new TerraformOutput(this, "load_balancer_dns_name", { value: loadBalancer.dnsName });
    new TerraformOutput(this, "warmup_function_name", { value: warmup.functionName });
  }
}
