import { TerraformOutput } from "cdktf";
import { EcsCapacityFleet, FleetCapacityProvider, FleetCapacityProviderProps, ManagedDraining } from "../../modules/fleet-capacity-provider";
import { single, synth } from "../support/synth";

const cluster = { clusterName: "inference", clusterArn: "arn:aws:ecs:us-east-1:123456789012:cluster/inference", capacityProviderNames: ["FARGATE", "FARGATE_SPOT"] };
const fleet: EcsCapacityFleet = {
  autoScalingGroupName: "hosts",
  autoScalingGroupArn: "arn:aws:autoscaling:us-east-1:123456789012:autoScalingGroup:uuid:autoScalingGroupName/hosts",
  ecsCluster: cluster,
  newInstancesProtectedFromScaleIn: true,
};
const base: FleetCapacityProviderProps = { name: "hosts-capacity", fleet, managedScaling: {}, managedTerminationProtection: true };

function provider(props: Partial<FleetCapacityProviderProps> = {}) {
  let warnings: string[] = [];
  const { json } = synth((scope) => {
    const p = new FleetCapacityProvider(scope, "Capacity", { ...base, ...props });
    warnings = p.node.metadata.filter((m) => m.type === "@cdktf/warn").map((m) => String(m.data));
  });
  return { json, warnings };
}

describe("FleetCapacityProvider", () => {
  test("GIVEN managed scaling with defaults and termination protection WHEN synthesized THEN ECS scales the group, protects busy instances and drains", () => {
    const { json, warnings } = provider();
    expect(single(json, "aws_ecs_capacity_provider")).toMatchObject({
      name: "hosts-capacity",
      auto_scaling_group_provider: {
        auto_scaling_group_arn: fleet.autoScalingGroupArn,
        managed_termination_protection: "ENABLED",
        managed_draining: "ENABLED",
        managed_scaling: { status: "ENABLED", target_capacity: 100, minimum_scaling_step_size: 1, maximum_scaling_step_size: 10000, instance_warmup_period: 300 },
      },
    });
    expect(warnings).toEqual([]);
  });

  test("GIVEN a provider WHEN its name is read THEN it is a reference to the resource, so the cluster association and services wait for it", () => {
    let name = "";
    const { json } = synth((scope) => {
      name = new FleetCapacityProvider(scope, "Capacity", base).capacityProviderName;
      new TerraformOutput(scope, "name", { value: name });
    });
    expect(JSON.stringify(json)).toMatch(/"value":"\$\{aws_ecs_capacity_provider\.[A-Za-z_0-9]+\.name\}"/);
  });

  test("GIVEN spare capacity, step sizes and draining off WHEN synthesized THEN they are written as given", () => {
    const managedScaling = { targetCapacityPercent: 80, minimumScalingStepSize: 2, maximumScalingStepSize: 4, instanceWarmupPeriodSeconds: 120 };
    const { json } = provider({ managedScaling, managedDraining: ManagedDraining.DISABLED });
    expect(single(json, "aws_ecs_capacity_provider").auto_scaling_group_provider).toMatchObject({
      managed_draining: "DISABLED",
      managed_scaling: { status: "ENABLED", target_capacity: 80, minimum_scaling_step_size: 2, maximum_scaling_step_size: 4, instance_warmup_period: 120 },
    });
  });

  test("GIVEN a protected fleet without termination protection WHEN synthesized THEN a warning says the group never scales in", () => {
    const { json, warnings } = provider({ managedTerminationProtection: false, managedScaling: undefined });
    expect(single(json, "aws_ecs_capacity_provider").auto_scaling_group_provider).toMatchObject({ managed_termination_protection: "DISABLED", managed_scaling: { status: "DISABLED" } });
    expect(warnings).toEqual([expect.stringMatching(/protected from scale-in but managedTerminationProtection is off, so nothing lifts the protection/)]);
  });

  test.each<[string, Partial<FleetCapacityProviderProps>, RegExp]>([
    ["termination protection without managed scaling", { managedScaling: undefined }, /FleetCapacityProvider \(\S+\): invalid managedTerminationProtection = true. Allowed: true only together with managedScaling/],
    [
      "termination protection on a fleet without scale-in protection",
      { fleet: { ...fleet, newInstancesProtectedFromScaleIn: false } },
      /invalid managedTerminationProtection = true. Allowed: true only for a fleet whose new instances are protected from scale-in/,
    ],
    ["a fleet that is not made of ECS hosts", { fleet: { ...fleet, ecsCluster: undefined } }, /invalid fleet = "hosts". Allowed: a fleet of ECS hosts \(InferenceFleet with ecsHost\)/],
    ["a name starting with ecs", { name: "ecs-hosts" }, /invalid name = "ecs-hosts". Allowed: .*not starting with "aws", "ecs" or "fargate"/],
    ["a target capacity of 0", { managedScaling: { targetCapacityPercent: 0 } }, /invalid managedScaling.targetCapacityPercent = 0. Allowed: an integer from 1 to 100/],
    ["a warmup period above 10000 s", { managedScaling: { instanceWarmupPeriodSeconds: 10001 } }, /invalid managedScaling.instanceWarmupPeriodSeconds = 10001/],
    ["a minimum step above the maximum", { managedScaling: { minimumScalingStepSize: 5, maximumScalingStepSize: 2 } }, /invalid managedScaling.minimumScalingStepSize = 5. Allowed: at most maximumScalingStepSize \(2\)/],
  ])("GIVEN %s WHEN synthesized THEN it fails naming prop, value, allowed and fix", (_label, props, message) => {
    expect(() => provider(props)).toThrow(message);
  });
});
