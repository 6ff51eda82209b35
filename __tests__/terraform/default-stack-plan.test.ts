import { OfflinePlan, countByType, resourcesOfType } from "../../scripts/lib/offline-terraform";
import { PLAN_TIMEOUT_MS, planStack, removeDir, synthMainApp } from "../support/terraform";

// The default stack, synthesized by main.ts exactly as `npm run synth` does, planned offline.
describe("default stack: terraform init, validate and offline plan", () => {
  let outdir: string | undefined;
  let result: OfflinePlan;

  beforeAll(async () => {
    outdir = synthMainApp();
    result = await planStack(outdir, "warmfleet-dev");
  }, PLAN_TIMEOUT_MS);
  afterAll(() => removeDir(outdir));

  const after = (type: string) => {
    const [resource, ...rest] = resourcesOfType(result.plan, type);
    expect(rest).toHaveLength(0);
    return resource.change.after as Record<string, any>;
  };

  test("GIVEN the default stack WHEN validated THEN terraform reports no errors", () => {
    expect(result.validate).toMatchObject({ valid: true, error_count: 0 });
  });

  test("GIVEN the default stack WHEN planned THEN every resource is created and none changed or destroyed", () => {
    const actions = (result.plan.resource_changes ?? []).filter((r) => r.mode === "managed").map((r) => r.change.actions.join(","));
    expect(new Set(actions)).toEqual(new Set(["create"]));
  });

  test("GIVEN the default stack WHEN planned THEN it holds the network, ALB and fleet resources", () => {
    expect(countByType(result.plan)).toMatchObject({
      aws_vpc: 1,
      aws_subnet: 4,
      aws_nat_gateway: 1,
      aws_vpc_endpoint: 1,
      aws_lb: 1,
      aws_lb_listener: 1,
      aws_lb_target_group: 1,
      aws_security_group: 2,
      aws_launch_template: 1,
      aws_autoscaling_group: 1,
      aws_autoscaling_lifecycle_hook: 1,
      aws_autoscaling_policy: 1,
      aws_iam_role: 1,
      aws_iam_instance_profile: 1,
    });
  });

  test("GIVEN the default stack WHEN planned THEN the launch template is a c6i.xlarge with IMDSv2 required and an encrypted gp3 root", () => {
    const template = after("aws_launch_template");
    expect(template.instance_type).toBe("c6i.xlarge");
    expect(template.image_id).toBe("resolve:ssm:/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64");
    expect(template.metadata_options[0]).toMatchObject({ http_tokens: "required", http_put_response_hop_limit: 1 });
    expect(template.block_device_mappings[0].ebs[0]).toMatchObject({ volume_type: "gp3", encrypted: "true" });
    expect(template.network_interfaces[0].associate_public_ip_address).toBe("false");
    expect(template.user_data).toEqual(expect.any(String));
  });

  test("GIVEN the default stack WHEN planned THEN the group has a Stopped warm pool and the launch hook in both forms", () => {
    const group = after("aws_autoscaling_group");
    expect(group.warm_pool[0]).toMatchObject({ pool_state: "Stopped", min_size: 1 });
    expect(group.initial_lifecycle_hook).toEqual([
      expect.objectContaining({ name: "warmfleet-dev-launch", lifecycle_transition: "autoscaling:EC2_INSTANCE_LAUNCHING", default_result: "ABANDON", heartbeat_timeout: 300 }),
    ]);
    expect(group).toMatchObject({ health_check_type: "ELB", min_size: 1, max_size: 4 });
    expect(group.instance_refresh[0].strategy).toBe("Rolling");
    expect(after("aws_autoscaling_lifecycle_hook")).toMatchObject({ name: "warmfleet-dev-launch", heartbeat_timeout: 300, autoscaling_group_name: "warmfleet-dev" });
  });

  test("GIVEN the default stack WHEN planned THEN the ALB is internet-facing, the target group checks /health, and the app port admits the ALB group only", () => {
    expect(after("aws_lb")).toMatchObject({ internal: false, load_balancer_type: "application" });
    expect(after("aws_lb_target_group").health_check[0]).toMatchObject({ path: "/health", matcher: "200" });
    const ingress = resourcesOfType(result.plan, "aws_vpc_security_group_ingress_rule").map((r) => r.change.after as Record<string, unknown>);
    const appRules = ingress.filter((r) => r.from_port === 80 && r.cidr_ipv4 === null);
    expect(appRules.length).toBeGreaterThan(0);
    expect(ingress.filter((r) => r.cidr_ipv4 === "0.0.0.0/0").every((r) => r.from_port === 80)).toBe(true);
  });
});
