import { Construct } from "constructs";
import { Fn } from "cdktf";
import { LaunchTemplate } from "@cdktf/provider-aws/lib/launch-template";
import { AutoscalingGroup } from "@cdktf/provider-aws/lib/autoscaling-group";
import { AutoscalingLifecycleHook } from "@cdktf/provider-aws/lib/autoscaling-lifecycle-hook";
import { AutoscalingPolicy } from "@cdktf/provider-aws/lib/autoscaling-policy";
import { IamRolePolicyAttachment } from "@cdktf/provider-aws/lib/iam-role-policy-attachment";
import { VpcSecurityGroupIngressRule } from "@cdktf/provider-aws/lib/vpc-security-group-ingress-rule";
import { VpcSecurityGroupEgressRule } from "@cdktf/provider-aws/lib/vpc-security-group-egress-rule";
import { SqsQueue } from "@cdktf/provider-aws/lib/sqs-queue";
import {
  InferenceFleet,
  InferenceFleetProps,
  LifecycleDefaultResult,
  ScalingMetric,
  SpotAllocationStrategy,
  WarmPoolState,
  ECS_OPTIMIZED_AMAZON_LINUX_2023,
  ECS_OPTIMIZED_AMAZON_LINUX_2023_ARM64,
} from "../../modules/inference-fleet";
import { InferenceLoadBalancer } from "../../modules/inference-load-balancer";
import { Connections } from "../../modules/connections";
import { count, resources, single, synth } from "../support/synth";

const loadBalancer = {
  targetGroupArn: "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/test/abc",
  requestCountResourceLabel: "app/test/1/targetgroup/test/2",
  targetPort: 80,
};

const base: InferenceFleetProps = {
  name: "test",
  vpcId: "vpc-1",
  subnetIds: ["subnet-a", "subnet-b"],
  loadBalancer: { ...loadBalancer, connections: Connections.fromSecurityGroupId("LoadBalancer", "sg-alb") },
  imageId: "ami-0123456789abcdef0",
};

function fleet(overrides: Partial<InferenceFleetProps> = {}, extra?: (scope: Construct, fleet: InferenceFleet) => void) {
  return synth((scope) => {
    // The ALB's side is owned by the stack here, so both sides of each flow are visible.
    const connections = new Connections({ name: "LoadBalancer", securityGroupId: "sg-alb", owner: scope });
    const f = new InferenceFleet(scope, "Fleet", { ...base, loadBalancer: { ...loadBalancer, connections }, ...overrides });
    extra?.(scope, f);
  });
}

/** Warnings the construct added with Annotations. */
function warnings(props: Partial<InferenceFleetProps>): string[] {
  let found: string[] = [];
  synth((scope) => {
    const f = new InferenceFleet(scope, "Fleet", { ...base, ...props });
    found = f.node.metadata.filter((m) => m.type === "@cdktf/warn").map((m) => String(m.data));
  });
  return found;
}

describe("InferenceFleet", () => {
  describe("warnings for risky but legal choices", () => {
    test("GIVEN the default HTTPS egress WHEN synthesized THEN a warning names httpsEgressCidrBlocks", () => {
      expect(warnings({})).toEqual([expect.stringMatching(/instances may reach any address on 443 .*Set httpsEgressCidrBlocks/)]);
    });

    test("GIVEN httpsEgressCidrBlocks set, even to 0.0.0.0/0 WHEN synthesized THEN no warning", () => {
      expect(warnings({ httpsEgressCidrBlocks: ["0.0.0.0/0"] })).toEqual([]);
    });

    test("GIVEN desiredCapacity with a scaling policy WHEN synthesized THEN a warning says scaling owns it", () => {
      expect(warnings({ httpsEgressCidrBlocks: ["0.0.0.0/0"], desiredCapacity: 2, maxSize: 4, scaling: { targetValue: 100 } })).toEqual([
        expect.stringMatching(/desiredCapacity \(2\) applies only when the group is created; the scaling policy owns it afterwards/),
      ]);
    });
  });

  test("GIVEN a name WHEN synthesized THEN the security group is named by prefix and replaced create-before-destroy", () => {
    const group = single(fleet().json, "aws_security_group");
    expect(group).toMatchObject({ name_prefix: "test-instances-", lifecycle: { create_before_destroy: true }, tags: { Name: "test-instances" } });
    expect(group.name).toBeUndefined();
  });

  test("GIVEN extra ingress groups WHEN one is removed THEN the other's rule keeps its address", () => {
    const ids = (additionalIngressSecurityGroups: Record<string, string>) =>
      Object.keys(resources(fleet({ additionalIngressSecurityGroups }).json, "aws_vpc_security_group_ingress_rule"));
    const before = ids({ Monitoring: "sg-a", Profiler: "sg-b" });
    expect(ids({ Profiler: "sg-b" })).toEqual(before.filter((id) => !id.includes("Monitoring")));
  });

  describe("launch template", () => {
    test("GIVEN defaults WHEN synthesized THEN a c6i.xlarge template with IMDSv2, an encrypted gp3 root and no public IP", () => {
      const { text } = fleet({ userData: "#!/bin/bash\necho hi\n" });
      expect(text).toHaveResourceWithProperties(LaunchTemplate, {
        name: "test",
        image_id: "ami-0123456789abcdef0",
        instance_type: "c6i.xlarge",
        user_data: Buffer.from("#!/bin/bash\necho hi\n").toString("base64"),
        update_default_version: true,
        metadata_options: { http_endpoint: "enabled", http_tokens: "required", http_put_response_hop_limit: 1, instance_metadata_tags: "disabled" },
        network_interfaces: [expect.objectContaining({ associate_public_ip_address: "false", device_index: 0 })],
        block_device_mappings: [
          { device_name: "/dev/xvda", ebs: { volume_type: "gp3", volume_size: 30, encrypted: "true", delete_on_termination: "true" } },
        ],
        monitoring: { enabled: false },
      });
      expect(single(fleet().json, "aws_launch_template").hibernation_options).toBeUndefined();
    });

    test("GIVEN instance, volume and IMDS options WHEN synthesized THEN the template follows them", () => {
      const { text } = fleet({
        instanceType: "c6i.8xlarge",
        imageId: "resolve:ssm:/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64",
        rootVolume: { sizeGiB: 100, kmsKeyId: "arn:aws:kms:us-east-1:123456789012:key/k", deviceName: "/dev/sda1" },
        allowContainerImdsAccess: true,
        detailedMonitoring: true,
      });
      expect(text).toHaveResourceWithProperties(LaunchTemplate, {
        instance_type: "c6i.8xlarge",
        image_id: "resolve:ssm:/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64",
        metadata_options: expect.objectContaining({ http_tokens: "required", http_put_response_hop_limit: 2 }),
        block_device_mappings: [
          { device_name: "/dev/sda1", ebs: expect.objectContaining({ volume_size: 100, kms_key_id: "arn:aws:kms:us-east-1:123456789012:key/k", encrypted: "true" }) },
        ],
        monitoring: { enabled: true },
      });
    });
  });

  describe("security and IAM", () => {
    test("GIVEN defaults WHEN synthesized THEN the app port admits the ALB's group only, and the ALB may reach it", () => {
      const { json, text } = fleet();
      expect(text).toHaveResourceWithProperties(VpcSecurityGroupIngressRule, {
        referenced_security_group_id: "sg-alb",
        from_port: 80,
        to_port: 80,
        ip_protocol: "tcp",
      });
      expect(count(json, "aws_vpc_security_group_ingress_rule")).toBe(1);
      const ingress = Object.values(resources(json, "aws_vpc_security_group_ingress_rule"));
      expect(ingress.every((r) => r.cidr_ipv4 === undefined)).toBe(true);
      expect(text).toHaveResourceWithProperties(VpcSecurityGroupEgressRule, { security_group_id: "sg-alb", from_port: 80, to_port: 80 });
      expect(text).toHaveResourceWithProperties(VpcSecurityGroupEgressRule, { cidr_ipv4: "0.0.0.0/0", from_port: 443, to_port: 443 });
    });

    test("GIVEN extra groups, egress ranges and another port WHEN synthesized THEN each gets its own rule on that port", () => {
      const { json } = fleet({ additionalIngressSecurityGroups: { Monitoring: "sg-a", Profiler: "sg-b" }, httpsEgressCidrBlocks: ["10.0.0.0/8"], appPort: 8080 });
      const ingress = Object.values(resources(json, "aws_vpc_security_group_ingress_rule"));
      expect(ingress.map((r) => r.referenced_security_group_id).sort()).toEqual(["sg-a", "sg-alb", "sg-b"]);
      expect(ingress.every((r) => r.from_port === 8080 && r.to_port === 8080)).toBe(true);
      const egressCidrs = Object.values(resources(json, "aws_vpc_security_group_egress_rule")).map((r) => r.cidr_ipv4).filter(Boolean);
      expect(egressCidrs).toEqual(["10.0.0.0/8"]);
    });

    test("GIVEN allowAppTrafficFrom WHEN synthesized THEN a named rule admits that group", () => {
      const { text } = fleet({}, (_scope, f) => f.allowAppTrafficFrom(Connections.fromSecurityGroupId("Warmup", "sg-lambda"), "Warmup Lambda"));
      expect(text).toHaveResourceWithProperties(VpcSecurityGroupIngressRule, { referenced_security_group_id: "sg-lambda", description: "Warmup Lambda", from_port: 80 });
    });

    test("GIVEN defaults WHEN synthesized THEN the instance role has SSM Session Manager access and nothing else", () => {
      const { json, text } = fleet();
      expect(count(json, "aws_iam_role_policy_attachment")).toBe(1);
      expect(count(json, "aws_iam_role_policy")).toBe(0);
      expect(text).toHaveResourceWithProperties(IamRolePolicyAttachment, {
        policy_arn: expect.stringMatching(/^arn:\$\{data\.aws_partition\.\w+\.partition\}:iam::aws:policy\/AmazonSSMManagedInstanceCore$/),
      });
      expect(single(json, "aws_launch_template").depends_on).toEqual([expect.stringMatching(/^aws_iam_role_policy_attachment\.Fleet_SsmManagedInstanceCore_\w+$/)]);
      const trust = Object.values(json.data?.aws_iam_policy_document ?? {})[0] as { statement: unknown[] };
      expect(trust.statement).toEqual([{ effect: "Allow", actions: ["sts:AssumeRole"], principals: [{ type: "Service", identifiers: ["ec2.amazonaws.com"] }] }]);
      expect(single(json, "aws_iam_role").assume_role_policy).toMatch(/^\$\{data\.aws_iam_policy_document\.Fleet_InstanceTrustPolicy_\w+\.json\}$/);
    });
  });

  describe("Auto Scaling group", () => {
    test("GIVEN defaults WHEN synthesized THEN the group uses ELB health, the target group, group metrics and a pinned template version", () => {
      const { text, json } = fleet();
      expect(text).toHaveResourceWithProperties(AutoscalingGroup, {
        name: "test",
        min_size: 1,
        max_size: 4,
        desired_capacity: 1,
        vpc_zone_identifier: ["subnet-a", "subnet-b"],
        health_check_type: "ELB",
        health_check_grace_period: 300,
        default_instance_warmup: 60,
        target_group_arns: [loadBalancer.targetGroupArn],
        metrics_granularity: "1Minute",
        launch_template: { id: expect.stringMatching(/aws_launch_template\.\w+\.id/), version: expect.stringMatching(/aws_launch_template\.\w+\.latest_version/) },
        tag: [{ key: "Name", value: "test", propagate_at_launch: true }],
      });
      const group = single(json, "aws_autoscaling_group");
      expect(group.enabled_metrics).toEqual(expect.arrayContaining(["GroupInServiceInstances", "WarmPoolWarmedCapacity"]));
      for (const absent of ["warm_pool", "initial_lifecycle_hook", "instance_refresh", "mixed_instances_policy", "lifecycle"]) {
        expect(group[absent]).toBeUndefined();
      }
      expect(count(json, "aws_autoscaling_lifecycle_hook")).toBe(0);
      expect(count(json, "aws_autoscaling_policy")).toBe(0);
    });

    test("GIVEN sizes, grace period, warmup and tags WHEN synthesized THEN the group and its volumes carry them", () => {
      const { text } = fleet({ minSize: 2, maxSize: 10, desiredCapacity: 3, healthCheckGracePeriodSeconds: 120, defaultInstanceWarmupSeconds: 30, tags: { Team: "ml" } });
      expect(text).toHaveResourceWithProperties(AutoscalingGroup, {
        min_size: 2,
        max_size: 10,
        desired_capacity: 3,
        health_check_grace_period: 120,
        default_instance_warmup: 30,
        tag: [
          { key: "Team", value: "ml", propagate_at_launch: true },
          { key: "Name", value: "test", propagate_at_launch: true },
        ],
      });
      expect(text).toHaveResourceWithProperties(LaunchTemplate, { tag_specifications: [{ resource_type: "volume", tags: { Team: "ml", Name: "test" } }] });
    });

    test("GIVEN a warm pool with defaults WHEN synthesized THEN it is Stopped, empty at minimum and reused on scale-in", () => {
      const { text } = fleet({ warmPool: {} });
      expect(text).toHaveResourceWithProperties(AutoscalingGroup, {
        warm_pool: { pool_state: "Stopped", min_size: 0, instance_reuse_policy: { reuse_on_scale_in: true } },
      });
    });

    test.each([WarmPoolState.RUNNING, WarmPoolState.STOPPED])("GIVEN a %s warm pool WHEN synthesized THEN no hibernation is configured", (poolState) => {
      const { json } = fleet({ warmPool: { poolState, minSize: 2, maxGroupPreparedCapacity: 6, reuseOnScaleIn: false } });
      expect(single(json, "aws_autoscaling_group").warm_pool).toEqual({
        pool_state: poolState,
        min_size: 2,
        max_group_prepared_capacity: 6,
        instance_reuse_policy: { reuse_on_scale_in: false },
      });
      expect(single(json, "aws_launch_template").hibernation_options).toBeUndefined();
    });

    test("GIVEN a Hibernated warm pool WHEN synthesized THEN the template enables hibernation", () => {
      const { text } = fleet({ warmPool: { poolState: WarmPoolState.HIBERNATED } });
      expect(text).toHaveResourceWithProperties(LaunchTemplate, { hibernation_options: { configured: true } });
      expect(text).toHaveResourceWithProperties(AutoscalingGroup, { warm_pool: expect.objectContaining({ pool_state: "Hibernated" }) });
    });

    test("GIVEN a launch hook WHEN synthesized THEN it is both an initial hook (first instances) and a standalone hook (later changes)", () => {
      const { text, json } = fleet({ launchHook: {} });
      const hook = { name: "test-launch", lifecycle_transition: "autoscaling:EC2_INSTANCE_LAUNCHING", heartbeat_timeout: 600, default_result: "ABANDON" };
      expect(text).toHaveResourceWithProperties(AutoscalingGroup, { initial_lifecycle_hook: [hook], lifecycle: { ignore_changes: ["initial_lifecycle_hook"] } });
      expect(text).toHaveResourceWithProperties(AutoscalingLifecycleHook, { ...hook, autoscaling_group_name: expect.stringMatching(/aws_autoscaling_group\.\w+\.name/) });
      expect(count(json, "aws_autoscaling_lifecycle_hook")).toBe(1);
    });

    test("GIVEN custom hook settings WHEN synthesized THEN both declarations carry them", () => {
      const { text } = fleet({
        launchHook: { name: "warm", heartbeatTimeoutSeconds: 900, defaultResult: LifecycleDefaultResult.CONTINUE, notificationMetadata: '{"model":"a"}' },
      });
      const hook = { name: "warm", heartbeat_timeout: 900, default_result: "CONTINUE", notification_metadata: '{"model":"a"}' };
      expect(text).toHaveResourceWithProperties(AutoscalingGroup, { initial_lifecycle_hook: [expect.objectContaining(hook)] });
      expect(text).toHaveResourceWithProperties(AutoscalingLifecycleHook, hook);
    });

    test("GIVEN ALB request scaling WHEN synthesized THEN a target-tracking policy uses the ALB/target group label and Terraform leaves desired capacity alone", () => {
      const { text } = fleet({ scaling: { targetValue: 500 } });
      expect(text).toHaveResourceWithProperties(AutoscalingPolicy, {
        name: "test-target-tracking",
        policy_type: "TargetTrackingScaling",
        target_tracking_configuration: {
          target_value: 500,
          disable_scale_in: false,
          predefined_metric_specification: { predefined_metric_type: "ALBRequestCountPerTarget", resource_label: "app/test/1/targetgroup/test/2" },
        },
      });
      expect(text).toHaveResourceWithProperties(AutoscalingGroup, { lifecycle: { ignore_changes: ["desired_capacity"] } });
    });

    test("GIVEN CPU scaling WHEN synthesized THEN the policy tracks average CPU without a resource label", () => {
      const { json } = fleet({ scaling: { metric: ScalingMetric.CPU_UTILIZATION, targetValue: 60, disableScaleIn: true } });
      const policy = single(json, "aws_autoscaling_policy").target_tracking_configuration as Record<string, unknown>;
      expect(policy).toEqual({ target_value: 60, disable_scale_in: true, predefined_metric_specification: { predefined_metric_type: "ASGAverageCPUUtilization" } });
    });

    test("GIVEN a real load balancer WHEN scaling on requests THEN the label joins the ALB and target group ARN suffixes", () => {
      const { json } = synth((scope) => {
        const alb = new InferenceLoadBalancer(scope, "LoadBalancer", { name: "test", vpcId: "vpc-1", subnetIds: ["subnet-a", "subnet-b"] });
        new InferenceFleet(scope, "Fleet", { ...base, loadBalancer: alb, scaling: { targetValue: 100 } });
      });
      const policy = single(json, "aws_autoscaling_policy").target_tracking_configuration as { predefined_metric_specification: { resource_label: string } };
      expect(policy.predefined_metric_specification.resource_label).toMatch(
        /^\$\{aws_lb\.LoadBalancer_\w+\.arn_suffix\}\/\$\{aws_lb_target_group\.LoadBalancer_TargetGroup_\w+\.arn_suffix\}$/,
      );
    });

    test("GIVEN instance refresh WHEN synthesized THEN template changes roll through with the healthy percentages", () => {
      const { text } = fleet({ instanceRefresh: { minHealthyPercentage: 75, maxHealthyPercentage: 150, skipMatching: false } });
      expect(text).toHaveResourceWithProperties(AutoscalingGroup, {
        instance_refresh: {
          strategy: "Rolling",
          preferences: { min_healthy_percentage: 75, max_healthy_percentage: 150, skip_matching: false, auto_rollback: true },
        },
      });
    });

    test("GIVEN Spot WHEN synthesized THEN a mixed instances policy with capacity rebalance replaces the single type", () => {
      const { text, json } = fleet({
        spot: { instanceTypes: ["c6i.xlarge", "c6a.xlarge", "c7i.xlarge"], onDemandBaseCapacity: 2, onDemandPercentageAboveBaseCapacity: 25, allocationStrategy: SpotAllocationStrategy.CAPACITY_OPTIMIZED },
      });
      expect(text).toHaveResourceWithProperties(AutoscalingGroup, {
        capacity_rebalance: true,
        mixed_instances_policy: {
          instances_distribution: { on_demand_base_capacity: 2, on_demand_percentage_above_base_capacity: 25, spot_allocation_strategy: "capacity-optimized" },
          launch_template: {
            launch_template_specification: expect.objectContaining({ launch_template_id: expect.any(String) }),
            override: [{ instance_type: "c6i.xlarge" }, { instance_type: "c6a.xlarge" }, { instance_type: "c7i.xlarge" }],
          },
        },
      });
      expect(single(json, "aws_autoscaling_group").launch_template).toBeUndefined();
      expect(single(json, "aws_launch_template").instance_type).toBeUndefined();
    });

    test("GIVEN a launch dependency WHEN synthesized THEN the group depends on it", () => {
      const { json } = fleet({}, (scope, f) => f.addLaunchDependency(new SqsQueue(scope, "Queue", { name: "q" })));
      expect(single(json, "aws_autoscaling_group").depends_on).toEqual(["aws_sqs_queue.Queue"]);
    });
  });

  describe("validation", () => {
    test.each([
      ["c6i.metal", "resolve:ssm:/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64"],
      ["c7g.xlarge", "resolve:ssm:/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-arm64"],
      ["c7g.xlarge", "resolve:ssm:/aws/service/ecs/optimized-ami/amazon-linux-2023/arm64/recommended/image_id"],
      ["t4g.large", "ami-0123456789abcdef0"],
    ])("GIVEN %s with %s WHEN synthesized THEN the pair is accepted", (instanceType, imageId) => {
      expect(single(fleet({ instanceType, imageId }).json, "aws_launch_template").instance_type).toBe(instanceType);
    });

    test("GIVEN two fleets in one stack WHEN one is invalid THEN the error names its construct path", () => {
      const build = () =>
        synth((scope) => {
          new InferenceFleet(scope, "Cpu", { ...base, name: "cpu" });
          new InferenceFleet(scope, "Gpu", { ...base, name: "gpu", minSize: 3, maxSize: 2 });
        });
      expect(build).toThrow(/^InferenceFleet \(\S+\/Gpu\): invalid minSize = 3/);
    });

    test.each<[string, Partial<InferenceFleetProps>, RegExp]>([
      ["min > max", { minSize: 5, maxSize: 2 }, /InferenceFleet \(\S+\): invalid minSize = 5. Allowed: at most maxSize \(2\). Fix: lower minSize or raise maxSize/],
      ["desired below min", { minSize: 2, maxSize: 4, desiredCapacity: 1 }, /invalid desiredCapacity = 1. Allowed: a whole number from minSize \(2\) to maxSize \(4\)/],
      ["desired above max", { desiredCapacity: 9 }, /invalid desiredCapacity = 9/],
      ["heartbeat too short", { launchHook: { heartbeatTimeoutSeconds: 29 } }, /invalid launchHook.heartbeatTimeoutSeconds = 29. Allowed: an integer from 30 to 7200/],
      ["heartbeat too long", { launchHook: { heartbeatTimeoutSeconds: 7201 } }, /invalid launchHook.heartbeatTimeoutSeconds = 7201/],
      ["warm pool with Spot", { warmPool: {}, spot: { instanceTypes: ["c6i.xlarge"] } }, /invalid warmPool = .*AWS does not support warm pools with either.*Fix: remove spot/],
      ["Hibernated unencrypted", { warmPool: { poolState: WarmPoolState.HIBERNATED }, rootVolume: { encrypted: false } }, /invalid rootVolume.encrypted = false. Allowed: true when warmPool.poolState is Hibernated/],
      ["bad instance type", { instanceType: "c6i-xlarge" }, /invalid instanceType = "c6i-xlarge". Allowed: an EC2 instance type name/],
      ["made-up instance type", { instanceType: "large" }, /invalid instanceType = "large"/],
      ["bad Spot instance type", { spot: { instanceTypes: ["c6i.xlarge", "fast.one"] } }, /invalid spot.instanceTypes\[1\] = "fast.one"/],
      ["no Spot types", { spot: { instanceTypes: [] } }, /invalid spot.instanceTypes = \[\]/],
      ["empty subnets", { subnetIds: [] }, /invalid subnetIds = \[\]. Allowed: a list with at least one element. Fix: pass the private subnet ids/],
      ["port 0", { appPort: 0 }, /invalid appPort = 0. Allowed: an integer from 1 to 65535/],
      ["port 65536", { appPort: 65536 }, /invalid appPort = 65536/],
      ["bad image", { imageId: "al2023" }, /invalid imageId = "al2023". Allowed: an AMI id .* Fix: use "resolve:ssm:/],
      ["bad name", { name: "has space" }, /invalid name = "has space"/],
      ["root too small", { rootVolume: { sizeGiB: 4 } }, /invalid rootVolume.sizeGiB = 4/],
      ["prepared capacity below max", { maxSize: 4, warmPool: { maxGroupPreparedCapacity: 2 } }, /invalid warmPool.maxGroupPreparedCapacity = 2. Allowed: an integer from 4/],
      ["negative pool", { warmPool: { minSize: -1 } }, /invalid warmPool.minSize = -1/],
      ["refresh percentage", { instanceRefresh: { minHealthyPercentage: 101 } }, /invalid instanceRefresh.minHealthyPercentage = 101/],
      ["scaling target", { scaling: { targetValue: 0 } }, /invalid scaling.targetValue = 0. Allowed: a number greater than 0/],
      ["fractional size", { minSize: 1.5 }, /invalid minSize = 1.5/],
      ["a 2-character name", { name: "ab" }, /InferenceFleet \(\S+\): invalid name = "ab". Allowed: 3 to 32 letters, digits and hyphens/],
      ["a 1-character name", { name: "a" }, /invalid name = "a"/],
      [
        "an arm64 type with the x86_64 image",
        { instanceType: "c6g.xlarge", imageId: "resolve:ssm:/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64" },
        /invalid instanceType = "c6g.xlarge". Allowed: an x86_64 instance type, because imageId .* is an x86_64 image. Fix: use an x86_64 type such as c6i.xlarge, or the arm64 image \(resolve:ssm:\/aws\/service\/ami-amazon-linux-latest\/al2023-ami-kernel-default-arm64\)/,
      ],
      [
        "an x86_64 type with the arm64 image",
        { instanceType: "c6i.xlarge", imageId: "resolve:ssm:/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-arm64" },
        /invalid instanceType = "c6i.xlarge". Allowed: an arm64 instance type.*Fix: use an arm64 \(Graviton\) type/,
      ],
      [
        "a Graviton Spot type among x86_64 ones",
        { spot: { instanceTypes: ["c6i.xlarge", "c7g.xlarge"] }, imageId: "resolve:ssm:/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64" },
        /invalid spot.instanceTypes\[1\] = "c7g.xlarge"/,
      ],
      [
        "an arm64 type with the x86_64 ECS image",
        { instanceType: "c7g.2xlarge", imageId: "resolve:ssm:/aws/service/ecs/optimized-ami/amazon-linux-2023/recommended/image_id" },
        /invalid instanceType = "c7g.2xlarge". Allowed: an x86_64 instance type/,
      ],
      ["a malformed egress CIDR", { httpsEgressCidrBlocks: ["10.0.0.0/33"] }, /invalid httpsEgressCidrBlocks\[0\] = "10.0.0.0\/33"/],
      ["an egress CIDR with host bits", { httpsEgressCidrBlocks: ["10.0.5.0/16"] }, /invalid httpsEgressCidrBlocks\[0\] = "10.0.5.0\/16".*Fix: use "10.0.0.0\/16"/],
      ["an unnamed extra group", { additionalIngressSecurityGroups: { "sg-123": "sg-123" } }, /invalid additionalIngressSecurityGroups = "sg-123". Allowed: PascalCase names/],
    ])("GIVEN %s WHEN synthesized THEN it fails naming prop, value, allowed and fix", (_label, overrides, message) => {
      expect(() => fleet(overrides)).toThrow(message);
    });
  });

  describe("ECS hosts (ecsHost instead of loadBalancer)", () => {
    const cluster = { clusterName: "inference", clusterArn: "arn:aws:ecs:us-east-1:123456789012:cluster/inference", capacityProviderNames: ["FARGATE", "FARGATE_SPOT"] };
    const image = "123456789012.dkr.ecr.us-east-1.amazonaws.com/server:1.4";
    const ecsProps: Partial<InferenceFleetProps> = {
      loadBalancer: undefined,
      imageId: undefined,
      ecsHost: { cluster, prePullImages: [image, "public.ecr.aws/aws-observability/aws-for-fluent-bit:3.2.1"] },
      warmPool: { poolState: WarmPoolState.STOPPED, minSize: 1 },
      httpsEgressCidrBlocks: ["10.0.0.0/16"],
    };
    let json: ReturnType<typeof fleet>["json"];
    let built: InferenceFleet;
    beforeAll(() => {
      json = fleet(ecsProps, (_scope, f) => (built = f)).json;
    });

    test("GIVEN ecsHost WHEN synthesized THEN the launch template boots the ECS-optimized AL2023 and its user data joins the cluster", () => {
      const template = single(json, "aws_launch_template");
      expect(template.image_id).toBe(ECS_OPTIMIZED_AMAZON_LINUX_2023);
      const script = Buffer.from(String(template.user_data), "base64").toString("utf8");
      expect(script).toContain("ECS_CLUSTER=inference\nECS_WARM_POOLS_CHECK=true\nECS_IMAGE_PULL_BEHAVIOR=prefer-cached\nECS_AWSVPC_BLOCK_IMDS=true\n");
      expect(script).toContain(`${image}\npublic.ecr.aws/aws-observability/aws-for-fluent-bit:3.2.1\nIMAGES`);
    });

    test("GIVEN ecsHost WHEN synthesized THEN the group has no target group, protects new instances, carries AmazonECSManaged and leaves desired capacity to ECS", () => {
      const group = single(json, "aws_autoscaling_group");
      expect(group.target_group_arns).toBeUndefined();
      expect(group).toMatchObject({ health_check_type: "EC2", protect_from_scale_in: true, lifecycle: { ignore_changes: ["desired_capacity"] } });
      expect(group.tag).toContainEqual({ key: "AmazonECSManaged", value: "true", propagate_at_launch: true });
      expect((group.warm_pool as { instance_reuse_policy: unknown }).instance_reuse_policy).toEqual({ reuse_on_scale_in: false });
      expect(built.ecsCluster).toBe(cluster);
      expect(built.newInstancesProtectedFromScaleIn).toBe(true);
    });

    test("GIVEN ecsHost WHEN synthesized THEN no app-port ingress is opened on the hosts (awsvpc tasks have their own groups)", () => {
      expect(count(json, "aws_vpc_security_group_ingress_rule")).toBe(0);
    });

    test("GIVEN ecsHost WHEN synthesized THEN the instance role gets the agent's permissions scoped to the cluster, not the managed ECS policy", () => {
      const policies = Object.values(resources(json, "aws_iam_role_policy_attachment")).map((a) => a.policy_arn);
      expect(policies.join()).not.toMatch(/AmazonEC2ContainerServiceforEC2Role/);
      const document = Object.values(json.data?.aws_iam_policy_document ?? {}).find((d) => JSON.stringify(d).includes("EcsAgentRegistration"));
      const statements = (document as { statement: Record<string, unknown>[] }).statement;
      const bySid = Object.fromEntries(statements.map((st) => [st.sid, st]));
      expect(bySid.EcsAgentRegistration).toMatchObject({ resources: [cluster.clusterArn] });
      expect(bySid.EcsAgentPolling).toMatchObject({ resources: ["*"], condition: [{ test: "ArnEquals", variable: "ecs:cluster", values: [cluster.clusterArn] }] });
      expect(bySid.PrePullImages).toMatchObject({ resources: [expect.stringMatching(/:ecr:us-east-1:123456789012:repository\/server$/)] });
      expect(bySid.HostReadyTag).toMatchObject({ actions: ["ec2:CreateTags"], condition: expect.arrayContaining([expect.objectContaining({ variable: "aws:TagKeys", values: ["warmfleet:host-ready"] })]) });
    });

    test("GIVEN a pre-pulled image known only at apply time and no repository ARNs WHEN synthesized THEN a warning asks for prePullRepositoryArns", () => {
      const ecsHost = { cluster, prePullImages: [Fn.lower("123456789012.DKR.ECR.US-EAST-1.AMAZONAWS.COM/SERVER:1")] };
      expect(warnings({ ...ecsProps, ecsHost })).toEqual([expect.stringMatching(/a pre-pulled image is only known at apply time.*Set ecsHost.prePullRepositoryArns/)]);
      expect(warnings({ ...ecsProps, ecsHost: { ...ecsHost, prePullRepositoryArns: ["arn:aws:ecr:us-east-1:123456789012:repository/server"] } })).toEqual([]);
    });

    test("GIVEN a pre-pulled image known only at apply time and user data with quotes and a dollar-brace WHEN synthesized THEN the script is joined from raw text and the reference", () => {
      const template = single(fleet({ ...ecsProps, ecsHost: { cluster, prePullImages: [Fn.lower("IMAGE")] }, userData: 'echo "caller ${HOME}"' }).json, "aws_launch_template");
      const userData = String(template.user_data);
      expect(userData).toMatch(/^\$\{base64encode\(join\("", \["#!\/bin\/bash\\n.*<<'IMAGES'\\n", lower\("IMAGE"\), "\\nIMAGES\\n.*\]\)\)\}$/);
      expect(userData).toContain('echo \\"caller $${HOME}\\"');
    });

    test("GIVEN ecsHost on a Graviton type without imageId WHEN synthesized THEN the arm64 ECS-optimized image is used", () => {
      const template = single(fleet({ ...ecsProps, instanceType: "c7g.xlarge" }).json, "aws_launch_template");
      expect(template.image_id).toBe(ECS_OPTIMIZED_AMAZON_LINUX_2023_ARM64);
    });

    test.each<[string, Partial<InferenceFleetProps>, RegExp]>([
      ["both loadBalancer and ecsHost", { ...ecsProps, loadBalancer: base.loadBalancer }, /invalid loadBalancer \/ ecsHost = .*Allowed: exactly one of them/],
      ["neither loadBalancer nor ecsHost", { ...ecsProps, ecsHost: undefined }, /invalid loadBalancer \/ ecsHost = \{\}. Allowed: exactly one of them/],
      ["reuseOnScaleIn with ECS hosts", { ...ecsProps, warmPool: { reuseOnScaleIn: true } }, /invalid warmPool.reuseOnScaleIn = true. Allowed: false \(or unset\) on ECS hosts/],
      ["a target-tracking policy on ECS hosts", { ...ecsProps, scaling: { targetValue: 100 } }, /invalid scaling = .*Allowed: no target-tracking policy on ECS hosts/],
      [
        "an arm64 type with the x86_64 ECS-optimized image",
        { ...ecsProps, instanceType: "c7g.xlarge", imageId: ECS_OPTIMIZED_AMAZON_LINUX_2023 },
        /invalid instanceType = "c7g.xlarge".*Fix: use an x86_64 type such as c6i.xlarge, or the arm64 image \(resolve:ssm:\/aws\/service\/ecs\/optimized-ami\/amazon-linux-2023\/arm64\/recommended\/image_id\)/,
      ],
    ])("GIVEN %s WHEN synthesized THEN it fails naming prop, value, allowed and fix", (_label, overrides, message) => {
      expect(() => fleet(overrides)).toThrow(message);
    });

    test("GIVEN no ecsHost and no imageId WHEN synthesized THEN it fails asking for an image", () => {
      expect(() => fleet({ imageId: undefined })).toThrow(/invalid imageId = undefined. Allowed: an AMI id or resolve:ssm: parameter \(only ECS hosts have a default\)/);
    });
  });
});
