import { Construct } from "constructs";
import { LocalBackend, TerraformOutput, TerraformStack } from "cdktf";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { InferenceFleet, InferenceLoadBalancer, Network, VpcEndpoints, WarmPoolState, WarmupHook } from "warmfleet";

/** One model behind an ALB: a warm pool of stopped instances, each warmed before it takes traffic. */
export class ModelStack extends TerraformStack {
  public readonly fleet: InferenceFleet;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    new AwsProvider(this, "aws", { region: "eu-west-1" });
    // A relative state path: the implicit local backend writes this machine's absolute path.
    new LocalBackend(this, { path: `terraform.${id}.tfstate` });

    const network = new Network(this, "Network", { name: id, availabilityZones: ["eu-west-1a", "eu-west-1b"] });
    // No certificate: an internal ALB, reachable from the VPC and networks routed to it.
    const loadBalancer = new InferenceLoadBalancer(this, "LoadBalancer", { name: id, vpcId: network.vpcId, subnetIds: network.privateSubnetIds });
    this.fleet = new InferenceFleet(this, "Fleet", {
      name: id,
      vpcId: network.vpcId,
      subnetIds: network.privateSubnetIds,
      loadBalancer,
      imageId: "resolve:ssm:/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64",
      instanceType: "c6i.xlarge",
      userData: "#!/bin/bash\n# install your model server here; it must answer GET /health on port 80\n",
      warmPool: { poolState: WarmPoolState.STOPPED, minSize: 1 },
      launchHook: {},
    });
    const endpoints = new VpcEndpoints(this, "ApiEndpoints", { name: id, vpcId: network.vpcId, subnetIds: network.privateSubnetIds, services: ["ec2", "autoscaling"] });
    this.fleet.addLaunchDependency(...network.gatewayEndpoints);
    new WarmupHook(this, "Warmup", {
      fleet: this.fleet,
      endpoints,
      dynamoDbPrefixListId: network.dynamoDbPrefixListId,
      warmupPath: "/predict",
      body: '{"inputs": "warm me up"}',
    });

    new TerraformOutput(this, "url", { value: `http://${loadBalancer.dnsName}` });
  }
}
