import { Testing } from "cdktf";
import { NatGateways } from "../../modules/network";
import { LoadBalancerScheme } from "../../modules/inference-load-balancer";
import { WarmPoolState } from "../../modules/inference-fleet";
import { EnvironmentConfig, EnvironmentDefinition, defineEnvironment, dev } from "../../stacks/environments";
import { AMAZON_LINUX_2023 } from "../../modules/inference-fleet";
import { buildStacks } from "../../stacks/inference-stack";

const inputs = { userData: "#!/bin/bash\n" };

function build(...environments: EnvironmentConfig[]): () => void {
  return () => buildStacks(Testing.app(), environments, inputs);
}

function environment(definition: Partial<EnvironmentDefinition> & { name: string }): EnvironmentConfig {
  return defineEnvironment({ region: "us-east-1", ...definition });
}

const existing = (publicSubnetIds: string[], privateSubnetIds: string[]) => ({ existing: { vpcId: "vpc-0abc", publicSubnetIds, privateSubnetIds } });

describe("defineEnvironment", () => {
  test("GIVEN only a name and region WHEN defined THEN every default is filled in, AZs a and b of the region", () => {
    expect(defineEnvironment({ name: "prod", region: "eu-west-1" })).toEqual({
      name: "prod",
      region: "eu-west-1",
      availabilityZones: ["eu-west-1a", "eu-west-1b"],
      network: { cidrBlock: "10.0.0.0/16", natGateways: NatGateways.SINGLE },
      fleet: {
        instanceType: "c6i.xlarge",
        imageId: AMAZON_LINUX_2023,
        minSize: 1,
        maxSize: 4,
        warmPoolState: WarmPoolState.STOPPED,
        warmPoolMinSize: 1,
        requestsPerTargetPerMinute: 600,
        rootVolumeGiB: 30,
      },
      disposable: false,
      edge: { sslPolicy: "ELBSecurityPolicy-TLS13-1-2-2021-06", deletionProtection: true, idleTimeoutSeconds: 120, accessLogs: { expirationDays: 90 } },
      tags: { Project: "warmfleet", Environment: "prod" },
    });
  });

  test("GIVEN dev WHEN defined THEN it is disposable: no deletion protection and no access logs", () => {
    expect(dev.disposable).toBe(true);
    expect(dev.edge).toMatchObject({ deletionProtection: false, accessLogs: undefined });
    expect(dev.edge.waf).toBeUndefined();
    expect(dev.edge.flowLogs).toBeUndefined();
  });

  test("GIVEN edge overrides WHEN defined THEN only those change, and accessLogs: false turns the default logs off", () => {
    const defined = environment({ name: "prod", edge: { idleTimeoutSeconds: 600, accessLogs: false, allowedCidrBlocks: ["10.0.0.0/8"] } });
    expect(defined.edge).toEqual({ sslPolicy: "ELBSecurityPolicy-TLS13-1-2-2021-06", deletionProtection: true, idleTimeoutSeconds: 600, accessLogs: undefined, allowedCidrBlocks: ["10.0.0.0/8"] });
    expect(environment({ name: "prod", edge: { accessLogs: { expirationDays: 30 } } }).edge.accessLogs).toEqual({ expirationDays: 30 });
  });

  test("GIVEN a name and extraTags WHEN defined THEN Environment is the name, whatever dev's tags are", () => {
    expect(dev.tags).toEqual({ Project: "warmfleet", Environment: "dev" });
    expect(environment({ name: "prod", extraTags: { CostCenter: "ml" } }).tags).toEqual({ Project: "warmfleet", Environment: "prod", CostCenter: "ml" });
  });

  test("GIVEN fleet and network overrides WHEN defined THEN only those fields change, and undefined keeps the default", () => {
    const defined = environment({ name: "prod", fleet: { maxSize: 12, workersPerInstance: 8, minSize: undefined }, network: { natGateways: NatGateways.ONE_PER_AZ } });
    expect(defined.fleet).toMatchObject({ maxSize: 12, workersPerInstance: 8, minSize: 1, instanceType: "c6i.xlarge" });
    expect(defined.network).toEqual({ cidrBlock: "10.0.0.0/16", natGateways: NatGateways.ONE_PER_AZ });
  });

  test("GIVEN an existing network WHEN defined THEN it is used as given", () => {
    expect(environment({ name: "prod", network: existing(["subnet-u1", "subnet-u2"], ["subnet-p1", "subnet-p2"]) }).network).toEqual(
      existing(["subnet-u1", "subnet-u2"], ["subnet-p1", "subnet-p2"]),
    );
  });
});

describe("environment validation at synth", () => {
  test("GIVEN dev and a valid prod WHEN built THEN nothing is rejected", () => {
    expect(build(dev, environment({ name: "prod", dependsOn: ["dev"] }))).not.toThrow();
  });

  test("GIVEN two environments with one name WHEN built THEN the duplicate is rejected", () => {
    expect(build(dev, environment({ name: "dev", region: "eu-west-1" }))).toThrow(
      /^environment "dev": invalid name = "dev"\. Allowed: a name no other environment uses\. Fix: rename one of them/,
    );
  });

  test.each(["Prod", "prod_eu", "1prod", "prod-", "", "a-name-far-too-long-for-alb"])("GIVEN the name %j WHEN built THEN it is rejected as not DNS-safe", (name) => {
    expect(build(environment({ name }))).toThrow(/invalid name = .*Allowed: 1 to 22 lowercase letters, digits and hyphens/);
  });

  test("GIVEN an environment that dependsOn itself WHEN built THEN it is rejected", () => {
    expect(build(dev, environment({ name: "prod", dependsOn: ["prod"] }))).toThrow(/^environment "prod": invalid dependsOn = \["prod"\]\..*Fix: remove "prod": an environment cannot wait for itself/);
  });

  test("GIVEN dependsOn naming no environment WHEN built THEN it is rejected naming the known ones", () => {
    expect(build(dev, environment({ name: "prod", dependsOn: ["staging"] }))).toThrow(
      /^environment "prod": invalid dependsOn = \["staging"\]\. Allowed: names of environments in the list \(dev, prod\)\. Fix: remove "staging" or add that environment/,
    );
  });

  test("GIVEN environments that depend on each other in a cycle WHEN built THEN the cycle is named", () => {
    const cycle = [environment({ name: "a", dependsOn: ["c"] }), environment({ name: "b", dependsOn: ["a"] }), environment({ name: "c", dependsOn: ["b"] })];
    expect(build(...cycle)).toThrow(/invalid dependsOn = .*Fix: break the cycle a -> c -> b -> a/);
  });

  test("GIVEN AZs of another region WHEN built THEN the foreign AZs are named", () => {
    expect(build(environment({ name: "prod", region: "eu-west-1", availabilityZones: ["eu-west-1a", "us-east-1b"] }))).toThrow(
      /^environment "prod": invalid availabilityZones = \["eu-west-1a","us-east-1b"\]\. Allowed: AZs of eu-west-1.*Fix: replace us-east-1b/,
    );
  });

  test("GIVEN a Local Zone WHEN built THEN it is rejected: an AZ is the region name and one letter", () => {
    expect(build(environment({ name: "prod", availabilityZones: ["us-east-1a", "us-east-1-bos-1a"] }))).toThrow(/invalid availabilityZones/);
  });

  test("GIVEN a region that is not a region code WHEN built THEN it is rejected", () => {
    expect(build(environment({ name: "prod", region: "Ireland", availabilityZones: ["eu-west-1a", "eu-west-1b"] }))).toThrow(/invalid region = "Ireland"/);
  });

  test("GIVEN an existing network with one public subnet WHEN built THEN it is rejected: the ALB needs two AZs", () => {
    expect(build(environment({ name: "prod", network: existing(["subnet-u1"], ["subnet-p1", "subnet-p2"]) }))).toThrow(
      /^environment "prod": invalid network\.existing\.publicSubnetIds = \["subnet-u1"\]\. Allowed: at least two distinct subnets.*an ALB needs two AZs/,
    );
  });

  test("GIVEN an existing network with one private subnet listed twice WHEN built THEN it is rejected", () => {
    expect(build(environment({ name: "prod", network: existing(["subnet-u1", "subnet-u2"], ["subnet-p1", "subnet-p1"]) }))).toThrow(
      /invalid network\.existing\.privateSubnetIds = \["subnet-p1","subnet-p1"\]/,
    );
  });

  test("GIVEN an environment spread from dev WHEN built THEN its Environment tag is rejected as dev's", () => {
    expect(build(dev, { ...dev, name: "prod" })).toThrow(/^environment "prod": invalid tags\.Environment = "dev"\. Allowed: the environment's name \("prod"\)\. Fix: create the environment with defineEnvironment/);
  });

  test.each<[string, Partial<EnvironmentDefinition>, RegExp]>([
    [
      "an internet-facing scheme without a certificate",
      { edge: { scheme: LoadBalancerScheme.INTERNET_FACING } },
      /^environment "prod": invalid edge\.scheme = "internet-facing"\. Allowed: INTERNET_FACING only with certificateArn\. Fix: set certificateArn .* or leave edge\.scheme out for an internal ALB/,
    ],
    ["a client CIDR with host bits", { edge: { allowedCidrBlocks: ["10.1.2.3/8"] } }, /^environment "prod": invalid edge\.allowedCidrBlocks\[0\] = "10\.1\.2\.3\/8"/],
    ["a malformed prefix list", { edge: { allowedPrefixListIds: ["vpn"] } }, /^environment "prod": invalid edge\.allowedPrefixListIds\[0\] = "vpn"/],
    ["no clients at all", { edge: { allowedCidrBlocks: [] } }, /invalid edge\.allowedCidrBlocks = \[\]\. Allowed: at least one CIDR block or prefix list id/],
    ["an unknown TLS policy", { edge: { sslPolicy: "TLS1.3" } }, /invalid edge\.sslPolicy = "TLS1\.3"\. Allowed: an ELB security policy name/],
    ["an idle timeout of 0", { edge: { idleTimeoutSeconds: 0 } }, /invalid edge\.idleTimeoutSeconds = 0/],
    ["access logs kept 0 days", { edge: { accessLogs: { expirationDays: 0 } } }, /invalid edge\.accessLogs\.expirationDays = 0/],
    ["flow logs on an existing VPC", { network: existing(["subnet-u1", "subnet-u2"], ["subnet-p1", "subnet-p2"]), edge: { flowLogs: {} } }, /invalid edge\.flowLogs = \[\]\. Allowed: flow logs only for a network the stack creates/],
  ])("GIVEN %s WHEN built THEN it is rejected naming the environment", (_label, definition, message) => {
    expect(build(environment({ name: "prod", ...definition }))).toThrow(message);
  });

  test("GIVEN extraTags setting Environment WHEN built THEN it is rejected rather than dropped", () => {
    expect(build(environment({ name: "prod", extraTags: { Environment: "production" } }))).toThrow(/invalid tags\.Environment = "production"/);
  });
});
