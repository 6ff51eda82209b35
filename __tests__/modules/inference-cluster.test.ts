import { Fn, TerraformStack, Testing } from "cdktf";
import { ContainerInsights, InferenceCluster, InferenceClusterProps } from "../../modules/inference-cluster";
import { count, single, synth } from "../support/synth";

function cluster(props: Partial<InferenceClusterProps> = {}, providers: string[] = []) {
  return synth((scope) => {
    const c = new InferenceCluster(scope, "Cluster", { name: "inference", ...props });
    providers.forEach((name) => c.addCapacityProvider({ capacityProviderName: name }));
  });
}

describe("InferenceCluster", () => {
  describe("defaults", () => {
    const { json } = cluster();

    test("GIVEN only a name WHEN synthesized THEN Container Insights is enabled and no exec configuration is written", () => {
      const resource = single(json, "aws_ecs_cluster");
      expect(resource).toMatchObject({ name: "inference", setting: [{ name: "containerInsights", value: "enabled" }] });
      expect(resource.configuration).toBeUndefined();
      expect(count(json, "aws_cloudwatch_log_group")).toBe(0);
    });

    test("GIVEN only a name WHEN synthesized THEN FARGATE and FARGATE_SPOT are registered with no default strategy", () => {
      const providers = single(json, "aws_ecs_cluster_capacity_providers");
      expect(providers).toMatchObject({ capacity_providers: ["FARGATE", "FARGATE_SPOT"], default_capacity_provider_strategy: [] });
    });
  });

  test("GIVEN exec logging with a key WHEN synthesized THEN sessions are logged (OVERRIDE) to a retained log group and encrypted with the key", () => {
    const kmsKeyArn = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab";
    const { json } = cluster({ executeCommandLogging: { logRetentionDays: 30, kmsKeyArn }, containerInsights: ContainerInsights.ENHANCED });
    expect(single(json, "aws_cloudwatch_log_group")).toMatchObject({ name: "/aws/ecs/inference/exec", retention_in_days: 30 });
    const resource = single(json, "aws_ecs_cluster");
    expect(resource.setting).toEqual([{ name: "containerInsights", value: "enhanced" }]);
    expect(resource.configuration).toEqual({
      execute_command_configuration: {
        kms_key_id: kmsKeyArn,
        logging: "OVERRIDE",
        log_configuration: { cloud_watch_log_group_name: expect.stringMatching(/^\$\{aws_cloudwatch_log_group\.\S*ExecuteCommandLogGroup\S*\.name\}$/), cloud_watch_encryption_enabled: false },
      },
    });
  });

  test("GIVEN an EC2 provider added after construction and a default strategy WHEN synthesized THEN both land in the capacity providers resource", () => {
    let names: readonly string[] = [];
    const { json } = synth((scope) => {
      const c = new InferenceCluster(scope, "Cluster", { name: "inference", defaultCapacityProviderStrategy: [{ capacityProvider: "hosts", base: 1 }] });
      c.addCapacityProvider({ capacityProviderName: "hosts" });
      names = c.capacityProviderNames;
    });
    expect(single(json, "aws_ecs_cluster_capacity_providers")).toMatchObject({
      capacity_providers: ["FARGATE", "FARGATE_SPOT", "hosts"],
      default_capacity_provider_strategy: [{ capacity_provider: "hosts", weight: 1, base: 1 }],
    });
    expect(names).toEqual(["FARGATE", "FARGATE_SPOT", "hosts"]);
  });

  test("GIVEN a default strategy naming a provider never added WHEN the app is validated THEN validation names it", () => {
    const stack = new TerraformStack(Testing.app(), "stack");
    const c = new InferenceCluster(stack, "Cluster", { name: "inference", defaultCapacityProviderStrategy: [{ capacityProvider: "hosts" }] });
    expect(c.node.validate()).toEqual([expect.stringMatching(/invalid defaultCapacityProviderStrategy = "hosts". Allowed: a registered capacity provider \(FARGATE, FARGATE_SPOT\)/)]);
  });

  test("GIVEN the same provider added twice WHEN synthesized THEN it fails", () => {
    expect(() => cluster({}, ["hosts", "hosts"])).toThrow(/invalid capacityProvider = "hosts". Allowed: a capacity provider not yet registered/);
  });

  test.each<[string, Partial<InferenceClusterProps>, RegExp]>([
    ["a name with a dot", { name: "my.cluster" }, /InferenceCluster \(\S+\): invalid name = "my.cluster". Allowed: 1 to 255 letters/],
    ["a retention CloudWatch refuses", { executeCommandLogging: { logRetentionDays: 10 } }, /invalid executeCommandLogging.logRetentionDays = 10.*Fix: use 7/],
    ["a key alias instead of an ARN", { executeCommandLogging: { kmsKeyArn: "alias/exec" } }, /invalid executeCommandLogging.kmsKeyArn = "alias\/exec". Allowed: a KMS key ARN/],
    ["a strategy mixing Fargate and EC2", { defaultCapacityProviderStrategy: [{ capacityProvider: "FARGATE" }, { capacityProvider: "hosts" }] }, /Allowed: either Fargate providers .* or EC2 capacity providers, not both/],
    ["Fargate mixed with an EC2 provider's reference", { defaultCapacityProviderStrategy: [{ capacityProvider: "FARGATE" }, { capacityProvider: Fn.lower("HOSTS") }] }, /Allowed: either Fargate providers .* or EC2 capacity providers, not both/],
    ["a provider named twice", { defaultCapacityProviderStrategy: [{ capacityProvider: "FARGATE" }, { capacityProvider: "FARGATE" }] }, /Allowed: each capacity provider once/],
    ["two bases", { defaultCapacityProviderStrategy: [{ capacityProvider: "FARGATE", base: 1 }, { capacityProvider: "FARGATE_SPOT", base: 2 }] }, /invalid defaultCapacityProviderStrategy\[\].base = \[1,2\]/],
    ["a weight above 1000", { defaultCapacityProviderStrategy: [{ capacityProvider: "FARGATE", weight: 1001 }] }, /invalid defaultCapacityProviderStrategy\[0\].weight = 1001/],
    ["only zero weights", { defaultCapacityProviderStrategy: [{ capacityProvider: "FARGATE", weight: 0 }] }, /Allowed: at least one entry with a weight above 0/],
  ])("GIVEN %s WHEN synthesized THEN it fails naming prop, value, allowed and fix", (_label, props, message) => {
    expect(() => cluster(props)).toThrow(message);
  });
});
