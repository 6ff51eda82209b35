// A cost-first internal service: Spot across three instance types and three AZs, an internal
// ALB reachable from 10.0.0.0/8 only, one NAT gateway per AZ so losing an AZ loses no egress.
// AWS does not allow a warm pool with mixed instances, so there is none.
import { Construct } from "constructs";
import { LocalBackend, TerraformOutput, TerraformStack } from "cdktf";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { InferenceFleet, InferenceLoadBalancer, LoadBalancerScheme, NatGateways, Network, SpotAllocationStrategy } from "../../modules";
import { inferenceServerUserData } from "../inference-server/user-data";

export class SpotFleetStack extends TerraformStack {
  constructor(scope: Construct, id: string) {
    super(scope, id);
    new AwsProvider(this, "aws", { region: "us-west-2", defaultTags: [{ tags: { Project: id } }] });
    new LocalBackend(this, { path: `terraform.${id}.tfstate` });

    const network = new Network(this, "Network", { name: id, availabilityZones: ["us-west-2a", "us-west-2b", "us-west-2c"], natGateways: NatGateways.ONE_PER_AZ });
    const loadBalancer = new InferenceLoadBalancer(this, "LoadBalancer", {
      name: id,
      vpcId: network.vpcId,
      subnetIds: network.privateSubnetIds,
      scheme: LoadBalancerScheme.INTERNAL,
      allowedCidrBlocks: ["10.0.0.0/8"],
    });
    new InferenceFleet(this, "Fleet", {
      name: id,
      vpcId: network.vpcId,
      subnetIds: network.privateSubnetIds,
      loadBalancer,
      imageId: "ami-0123456789abcdef0",
      userData: inferenceServerUserData({ port: 80 }),
      spot: { instanceTypes: ["c6i.xlarge", "c6a.xlarge", "c7i.xlarge"], allocationStrategy: SpotAllocationStrategy.PRICE_CAPACITY_OPTIMIZED },
      scaling: { targetValue: 50 },
    });

    new TerraformOutput(this, "load_balancer_dns_name", { value: loadBalancer.dnsName });
  }
}
