import { Construct } from "constructs";
import { BatchComputeEnvironment as BatchComputeEnvironmentResource } from "@cdktf/provider-aws/lib/batch-compute-environment";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import { LaunchTemplate } from "@cdktf/provider-aws/lib/launch-template";
import { SecurityGroup } from "@cdktf/provider-aws/lib/security-group";
import { VpcSecurityGroupEgressRule } from "@cdktf/provider-aws/lib/vpc-security-group-egress-rule";
import {
  BatchAllocationStrategy,
  BatchComputeEnvironment,
  BatchComputeEnvironmentProps,
  BatchComputeType,
  BatchImageType,
  BatchPlatform,
} from "../../modules/batch-compute-environment";
import { count, resources, single, synth } from "../support/synth";

const base: BatchComputeEnvironmentProps = { name: "nightly", vpcId: "vpc-1", subnetIds: ["subnet-a", "subnet-b"] };

function environment(overrides: Partial<BatchComputeEnvironmentProps> = {}) {
  let built: BatchComputeEnvironment | undefined;
  const result = synth((scope: Construct) => {
    built = new BatchComputeEnvironment(scope, "Compute", { ...base, ...overrides });
  });
  return { ...result, environment: built as BatchComputeEnvironment };
}

describe("BatchComputeEnvironment", () => {
  test("GIVEN defaults WHEN synthesized THEN a managed Fargate environment of 16 vCPUs runs in the private subnets with its own group", () => {
    const { text, environment: ce } = environment();
    expect(text).toHaveResourceWithProperties(BatchComputeEnvironmentResource, {
      compute_environment_name_prefix: "nightly-fargate-",
      type: "MANAGED",
      state: "ENABLED",
      compute_resources: {
        type: "FARGATE",
        max_vcpus: 16,
        subnets: ["subnet-a", "subnet-b"],
        security_group_ids: [expect.stringMatching(/aws_security_group\.Compute_SecurityGroup/)],
      },
    });
    expect(ce.platform).toBe(BatchPlatform.FARGATE);
    expect(ce.computeType).toBe(BatchComputeType.FARGATE);
    expect(ce.instanceRoleArn).toBeUndefined();
  });

  test("GIVEN any environment WHEN synthesized THEN it is named by prefix and created before the old one is destroyed (a queue keeps pointing at it)", () => {
    const resource = single(environment().json, "aws_batch_compute_environment");
    expect(resource.lifecycle).toEqual({ create_before_destroy: true });
    expect(resource.compute_environment_name).toBeUndefined();
    // No service role: the service-linked role, which in-place updates of EC2 environments need.
    expect(resource.service_role).toBeUndefined();
  });

  test("GIVEN Fargate Spot WHEN synthesized THEN the type is in the name prefix, so a type change replaces the environment", () => {
    expect(environment({ computeType: BatchComputeType.FARGATE_SPOT }).text).toHaveResourceWithProperties(BatchComputeEnvironmentResource, {
      compute_environment_name_prefix: "nightly-fargate-spot-",
      compute_resources: expect.objectContaining({ type: "FARGATE_SPOT" }),
    });
  });

  test("GIVEN Fargate WHEN synthesized THEN no EC2 setting is sent (Fargate refuses them)", () => {
    const resources = single(environment().json, "aws_batch_compute_environment").compute_resources as Record<string, unknown>;
    expect(Object.keys(resources).sort()).toEqual(["max_vcpus", "security_group_ids", "subnets", "type"]);
    expect(count(environment().json, "aws_launch_template")).toBe(0);
  });

  test("GIVEN any environment WHEN synthesized THEN its security group is replaceable and egress-only: 443 to anywhere by default", () => {
    const { text, json } = environment();
    expect(text).toHaveResourceWithProperties(SecurityGroup, { name_prefix: "nightly-fargate-", vpc_id: "vpc-1", lifecycle: { create_before_destroy: true } });
    expect(text).toHaveResourceWithProperties(VpcSecurityGroupEgressRule, { from_port: 443, to_port: 443, ip_protocol: "tcp", cidr_ipv4: "0.0.0.0/0" });
    expect(count(json, "aws_vpc_security_group_ingress_rule")).toBe(0);
  });

  test("GIVEN httpsEgressCidrBlocks WHEN synthesized THEN one egress rule per block, keyed by the block", () => {
    const { json } = environment({ httpsEgressCidrBlocks: ["10.0.0.0/16", "172.16.0.0/12"] });
    expect(Object.keys(resources(json, "aws_vpc_security_group_egress_rule")).sort()).toEqual([
      expect.stringMatching(/^Compute_EgressTcp443ToCidr10-0-0-0-16/),
      expect.stringMatching(/^Compute_EgressTcp443ToCidr172-16-0-0-12/),
    ]);
  });

  test("GIVEN EC2 Spot with defaults WHEN synthesized THEN the C6i family with SPOT_PRICE_CAPACITY_OPTIMIZED, ECS AL2023, no idle vCPUs", () => {
    const { text, environment: ce } = environment({ computeType: BatchComputeType.SPOT });
    expect(text).toHaveResourceWithProperties(BatchComputeEnvironmentResource, {
      compute_environment_name_prefix: "nightly-spot-",
      compute_resources: expect.objectContaining({
        type: "SPOT",
        instance_type: ["c6i"],
        allocation_strategy: "SPOT_PRICE_CAPACITY_OPTIMIZED",
        min_vcpus: 0,
        ec2_configuration: [{ image_type: "ECS_AL2023" }],
        instance_role: expect.stringMatching(/aws_iam_instance_profile\.Compute_InstanceProfile/),
        launch_template: { launch_template_id: expect.stringMatching(/aws_launch_template/), version: expect.stringMatching(/latest_version/) },
        tags: { Name: "nightly-spot" },
      }),
    });
    expect(ce.platform).toBe(BatchPlatform.EC2);
    expect(ce.instanceRoleArn).toBeDefined();
  });

  test("GIVEN on-demand EC2 WHEN synthesized THEN BEST_FIT_PROGRESSIVE", () => {
    expect(environment({ computeType: BatchComputeType.EC2 }).text).toHaveResourceWithProperties(BatchComputeEnvironmentResource, {
      compute_resources: expect.objectContaining({ type: "EC2", allocation_strategy: "BEST_FIT_PROGRESSIVE" }),
    });
  });

  test("GIVEN EC2 WHEN synthesized THEN instances boot IMDSv2-only with an encrypted gp3 root, and the ECS agent policy attached first", () => {
    const { text, json } = environment({ computeType: BatchComputeType.EC2, ec2: { rootVolumeSizeGiB: 100 } });
    expect(text).toHaveResourceWithProperties(LaunchTemplate, {
      name_prefix: "nightly-ec2-",
      metadata_options: { http_endpoint: "enabled", http_tokens: "required", http_put_response_hop_limit: 1 },
      block_device_mappings: [{ device_name: "/dev/xvda", ebs: { volume_type: "gp3", volume_size: 100, encrypted: "true", delete_on_termination: "true" } }],
    });
    expect(text).toHaveResourceWithProperties(IamRolePolicy, {
      name: "ecs-agent",
      policy: expect.stringMatching(/data\.aws_iam_policy_document\.Compute_EcsAgentPolicyDocument_[A-F0-9]+\.json/),
    });
    expect(single(json, "aws_batch_compute_environment").depends_on).toEqual([expect.stringMatching(/^aws_iam_role_policy\.Compute_EcsAgentPolicy/)]);
  });

  test("GIVEN EC2 WHEN synthesized THEN the instance role holds only the ECS agent's calls, scoped to this account and region, and no managed policy", () => {
    const { json } = environment({ computeType: BatchComputeType.SPOT });
    // No AWS-managed policy (AmazonEC2ContainerServiceforEC2Role allows every ECR repository and log group).
    expect(count(json, "aws_iam_role_policy_attachment")).toBe(0);
    expect(JSON.stringify(json)).not.toContain("AmazonEC2ContainerServiceforEC2Role");
    const documents = Object.entries(json.data?.aws_iam_policy_document ?? {}).filter(([id]) => id.startsWith("Compute_EcsAgentPolicyDocument"));
    expect(documents).toHaveLength(1);
    const statements = documents[0][1].statement as Array<Record<string, unknown>>;
    const scoped = (type: string) => expect.stringMatching(new RegExp(`^arn:\\$\\{data\\.aws_partition\\..+\\}:ecs:\\$\\{data\\.aws_region\\..+\\}:\\$\\{data\\.aws_caller_identity\\..+\\.account_id\\}:${type}/\\*$`));
    expect(statements).toEqual([
      { sid: "AgentOnClusters", effect: "Allow", actions: ["ecs:RegisterContainerInstance", "ecs:DeregisterContainerInstance", "ecs:Submit*"], resources: [scoped("cluster")] },
      { sid: "AgentOnContainerInstances", effect: "Allow", actions: ["ecs:Poll", "ecs:StartTelemetrySession", "ecs:UpdateContainerInstancesState"], resources: [scoped("container-instance")] },
      { sid: "DiscoverPollEndpoint", effect: "Allow", actions: ["ecs:DiscoverPollEndpoint"], resources: ["*"] },
      {
        sid: "TagOnRegistration",
        effect: "Allow",
        actions: ["ecs:TagResource"],
        resources: [scoped("container-instance")],
        condition: [{ test: "StringEquals", variable: "ecs:CreateAction", values: ["RegisterContainerInstance"] }],
      },
      { sid: "EcrLogin", effect: "Allow", actions: ["ecr:GetAuthorizationToken"], resources: ["*"] },
    ]);
    const actions = statements.flatMap((statement) => statement.actions as string[]);
    // Batch owns the cluster; image pulls and logs are the job's execution role's business.
    expect(actions).not.toContain("ecs:CreateCluster");
    expect(actions.filter((action) => action.startsWith("logs:") || (action.startsWith("ecr:") && action !== "ecr:GetAuthorizationToken"))).toEqual([]);
  });

  test("GIVEN every EC2 setting WHEN synthesized THEN the environment follows them", () => {
    expect(
      environment({
        computeType: BatchComputeType.SPOT,
        maxVcpus: 256,
        ec2: {
          instanceTypes: ["c6i", "c7i.2xlarge"],
          allocationStrategy: BatchAllocationStrategy.SPOT_CAPACITY_OPTIMIZED,
          minVcpus: 4,
          bidPercentage: 60,
          imageType: BatchImageType.ECS_AL2023_NVIDIA,
        },
        tags: { Team: "ml" },
      }).text,
    ).toHaveResourceWithProperties(BatchComputeEnvironmentResource, {
      compute_resources: expect.objectContaining({
        max_vcpus: 256,
        instance_type: ["c6i", "c7i.2xlarge"],
        allocation_strategy: "SPOT_CAPACITY_OPTIMIZED",
        min_vcpus: 4,
        bid_percentage: 60,
        ec2_configuration: [{ image_type: "ECS_AL2023_NVIDIA" }],
        tags: { Team: "ml", Name: "nightly-spot" },
      }),
      tags: { Team: "ml" },
    });
  });

  describe("validation", () => {
    test.each<[string, Partial<BatchComputeEnvironmentProps>, RegExp]>([
      ["instance types on Fargate", { ec2: { instanceTypes: ["c6i"] } }, /invalid ec2 = .*Fargate compute environments do not accept instance types.*Fix: remove ec2 \(instanceTypes\), or use BatchComputeType\.EC2 or SPOT/],
      [
        "an allocation strategy and min vCPUs on Fargate Spot",
        { computeType: BatchComputeType.FARGATE_SPOT, ec2: { allocationStrategy: BatchAllocationStrategy.BEST_FIT_PROGRESSIVE, minVcpus: 2 } },
        /no EC2 settings with computeType FARGATE_SPOT.*Fix: remove ec2 \(allocationStrategy, minVcpus\)/,
      ],
      ["an image type on Fargate", { ec2: { imageType: BatchImageType.ECS_AL2023 } }, /invalid ec2 .*Fix: remove ec2 \(imageType\)/],
      ["a bid percentage on Fargate", { ec2: { bidPercentage: 50 } }, /invalid ec2 .*bid percentage/],
      ["an empty ec2 object on Fargate", { ec2: {} }, /invalid ec2 = \{\}.*Fix: remove ec2$/],
      ["a bid percentage on on-demand EC2", { computeType: BatchComputeType.EC2, ec2: { bidPercentage: 50 } }, /invalid ec2\.bidPercentage = 50\. Allowed: only with BatchComputeType\.SPOT/],
      ["a bid percentage over 100", { computeType: BatchComputeType.SPOT, ec2: { bidPercentage: 120 } }, /invalid ec2\.bidPercentage = 120\. Allowed: an integer from 1 to 100/],
      [
        "a Spot strategy on on-demand EC2",
        { computeType: BatchComputeType.EC2, ec2: { allocationStrategy: BatchAllocationStrategy.SPOT_PRICE_CAPACITY_OPTIMIZED } },
        /invalid ec2\.allocationStrategy = "SPOT_PRICE_CAPACITY_OPTIMIZED"\. Allowed: BEST_FIT_PROGRESSIVE for on-demand EC2/,
      ],
      ["min vCPUs above max vCPUs", { computeType: BatchComputeType.EC2, maxVcpus: 8, ec2: { minVcpus: 16 } }, /invalid ec2\.minVcpus = 16\. Allowed: an integer from 0 to 8/],
      ["a malformed instance type", { computeType: BatchComputeType.EC2, ec2: { instanceTypes: ["C6I.XLARGE"] } }, /invalid ec2\.instanceTypes = "C6I\.XLARGE"/],
      ["no instance types", { computeType: BatchComputeType.EC2, ec2: { instanceTypes: [] } }, /invalid ec2\.instanceTypes = \[\]/],
      ["a small root volume", { computeType: BatchComputeType.EC2, ec2: { rootVolumeSizeGiB: 8 } }, /invalid ec2\.rootVolumeSizeGiB = 8\. Allowed: an integer from 30 to 16384/],
      ["zero max vCPUs", { maxVcpus: 0 }, /invalid maxVcpus = 0\. Allowed: an integer from 1 to 100000/],
      ["no subnets", { subnetIds: [] }, /invalid subnetIds = \[\]\. Allowed: one or more distinct subnet ids/],
      ["a duplicate subnet", { subnetIds: ["subnet-a", "subnet-a"] }, /invalid subnetIds/],
      ["a name with a dot", { name: "nightly.batch" }, /invalid name = "nightly\.batch"\. Allowed: 1 to 40 letters/],
      ["a name too long", { name: "n".repeat(41) }, /invalid name = "n{41}"/],
      ["a bad egress block", { httpsEgressCidrBlocks: ["10.0.0.1/16"] }, /invalid httpsEgressCidrBlocks\[0\] = "10\.0\.0\.1\/16".*use "10\.0\.0\.0\/16"/],
    ])("GIVEN %s WHEN synthesized THEN it is refused", (_, overrides, message) => {
      expect(() => environment(overrides)).toThrow(message);
    });

    test("GIVEN an error WHEN thrown THEN it names the construct and its path", () => {
      expect(() => environment({ maxVcpus: -1 })).toThrow(/^BatchComputeEnvironment \(\S+\/Compute\): invalid maxVcpus/);
    });
  });
});
