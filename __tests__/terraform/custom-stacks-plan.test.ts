import { TerraformStack } from "cdktf";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { OfflinePlan, countByType, resourcesOfType } from "../../testing/offline-terraform";
import { InferenceStack } from "../../stacks/inference-stack";
import { defaultEnvironment } from "../../stacks/environments";
import { WarmPoolState, InferenceFleet, SpotAllocationStrategy } from "../../modules/inference-fleet";
import { InferenceLoadBalancer, LoadBalancerScheme } from "../../modules/inference-load-balancer";
import { Network, NatGateways } from "../../modules/network";
import { PLAN_TIMEOUT_MS, planStack, removeDir, synthApp } from "../support/terraform";

// Non-default configurations must be valid Terraform too, not only well-formed JSON.
describe("non-default stacks: terraform init, validate and offline plan", () => {
  let outdir: string | undefined;
  let existingVpc: OfflinePlan;
  let spotFleet: OfflinePlan;

  beforeAll(async () => {
    outdir = synthApp((app) => {
      new InferenceStack(app, "warmfleet-prod", {
        ...defaultEnvironment,
        name: "prod",
        region: "eu-west-1",
        network: { existing: { vpcId: "vpc-0abc", privateSubnetIds: ["subnet-p1", "subnet-p2"], publicSubnetIds: ["subnet-u1", "subnet-u2"] } },
        certificateArn: "arn:aws:acm:eu-west-1:123456789012:certificate/00000000-0000-0000-0000-000000000000",
        fleet: { ...defaultEnvironment.fleet, instanceType: "c6i.8xlarge", warmPoolState: WarmPoolState.HIBERNATED, rootVolumeGiB: 200, maxSize: 12 },
      });
      const spot = new TerraformStack(app, "spot-fleet");
      new AwsProvider(spot, "aws", { region: "us-west-2" });
      const network = new Network(spot, "Network", { name: "spot", availabilityZones: ["us-west-2a", "us-west-2b", "us-west-2c"], natGateways: NatGateways.ONE_PER_AZ });
      const alb = new InferenceLoadBalancer(spot, "LoadBalancer", { name: "spot", vpcId: network.vpcId, subnetIds: network.privateSubnetIds, scheme: LoadBalancerScheme.INTERNAL, allowedCidrBlocks: ["10.0.0.0/8"] });
      new InferenceFleet(spot, "Fleet", {
        name: "spot",
        vpcId: network.vpcId,
        subnetIds: network.privateSubnetIds,
        loadBalancer: alb,
        imageId: "ami-0123456789abcdef0",
        spot: { instanceTypes: ["c6i.xlarge", "c6a.xlarge", "c7i.xlarge"], allocationStrategy: SpotAllocationStrategy.PRICE_CAPACITY_OPTIMIZED },
        scaling: { targetValue: 50 },
      });
    });
    [existingVpc, spotFleet] = [await planStack(outdir, "warmfleet-prod"), await planStack(outdir, "spot-fleet")];
  }, 2 * PLAN_TIMEOUT_MS);
  afterAll(() => removeDir(outdir));

  test("GIVEN an existing VPC, HTTPS and a Hibernated pool WHEN planned THEN no network is created and hibernation is configured", () => {
    expect(existingVpc.validate.valid).toBe(true);
    const counts = countByType(existingVpc.plan);
    expect(counts.aws_vpc).toBeUndefined();
    expect(counts.aws_lb_listener).toBe(2);
    const template = resourcesOfType(existingVpc.plan, "aws_launch_template")[0].change.after as Record<string, any>;
    expect(template.hibernation_options).toEqual([{ configured: true }]);
    expect(template.instance_type).toBe("c6i.8xlarge");
    const group = resourcesOfType(existingVpc.plan, "aws_autoscaling_group")[0].change.after as Record<string, any>;
    expect(group.vpc_zone_identifier).toEqual(["subnet-p1", "subnet-p2"]);
    expect(group.warm_pool[0].pool_state).toBe("Hibernated");
  });

  test("GIVEN a Spot fleet over three AZs WHEN planned THEN a mixed instances policy, capacity rebalance and three NAT gateways", () => {
    expect(spotFleet.validate.valid).toBe(true);
    expect(countByType(spotFleet.plan)).toMatchObject({ aws_nat_gateway: 3, aws_subnet: 6, aws_autoscaling_policy: 1 });
    const group = resourcesOfType(spotFleet.plan, "aws_autoscaling_group")[0].change.after as Record<string, any>;
    expect(group.capacity_rebalance).toBe(true);
    expect(group.warm_pool).toEqual([]);
    expect(group.mixed_instances_policy[0].launch_template[0].override.map((o: { instance_type: string }) => o.instance_type)).toEqual([
      "c6i.xlarge",
      "c6a.xlarge",
      "c7i.xlarge",
    ]);
    expect(resourcesOfType(spotFleet.plan, "aws_lb")[0].change.after).toMatchObject({ internal: true });
  });
});
