import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { StackPlan, countByType, resourcesOfType } from "../../testing/offline-terraform";
import { PLAN_TIMEOUT_MS, REPO_ROOT, planStacks, removeDir, synthMainApp } from "../support/terraform";

const STACK = "warmfleet-dev";
let jsonOut: string | undefined;
let hclOut: string | undefined;
let plans: Record<string, StackPlan>;

// The default stack, synthesized by main.ts exactly as `npm run synth` does, and its HCL export,
// planned offline side by side in one Terraform run. `cdktf synth --hcl` (npm run synth:hcl) runs
// the same app with SYNTH_HCL_OUTPUT=true, which makes cdktf's App write cdk.tf: the test sets it
// itself and spares the CLI's start-up.
beforeAll(async () => {
  hclOut = mkdtempSync(join(tmpdir(), "warmfleet-hcl-"));
  const hclSynth = promisify(execFile)(process.execPath, ["--import", "tsx", "main.ts"], {
    cwd: REPO_ROOT,
    env: { ...process.env, CDKTF_OUTDIR: hclOut, SYNTH_HCL_OUTPUT: "true" },
  });
  jsonOut = synthMainApp();
  await hclSynth;
  plans = await planStacks({ json: join(jsonOut, "stacks", STACK), hcl: join(hclOut, "stacks", STACK) });
}, 2 * PLAN_TIMEOUT_MS);
afterAll(() => [jsonOut, hclOut].forEach(removeDir));

describe("default stack: terraform init and offline plan (which validates first)", () => {
  let result: StackPlan;
  beforeAll(() => {
    result = plans.json;
  });

  const after = (type: string) => {
    const [resource, ...rest] = resourcesOfType(result.plan, type);
    expect(rest).toHaveLength(0);
    return resource.change.after as Record<string, any>;
  };
  /** The one resource of a type that a construct id (e.g. "Warmup", "WarmupReconciler") owns. */
  const ownedBy = (owner: string, type: string) => {
    const [resource, ...rest] = resourcesOfType(result.plan, type).filter((r) => r.address.startsWith(`${type}.${owner}_`));
    expect(rest).toHaveLength(0);
    return resource.change.after as Record<string, any>;
  };

  test("GIVEN the default stack WHEN planned THEN every resource is created and none changed or destroyed", () => {
    const actions = (result.plan.resource_changes ?? []).filter((r) => r.mode === "managed").map((r) => r.change.actions.join(","));
    expect(new Set(actions)).toEqual(new Set(["create"]));
  });

  test("GIVEN the default stack WHEN planned THEN it holds the network, ALB and fleet resources", () => {
    expect(countByType(result.plan)).toMatchObject({
      aws_vpc: 1,
      aws_subnet: 4,
      aws_nat_gateway: 1,
      aws_vpc_endpoint: 4,
      aws_lb: 1,
      aws_lb_listener: 1,
      aws_lb_target_group: 1,
      aws_security_group: 4,
      aws_launch_template: 1,
      aws_autoscaling_group: 1,
      aws_autoscaling_lifecycle_hook: 1,
      aws_autoscaling_policy: 1,
      aws_iam_role: 4,
      aws_iam_instance_profile: 1,
      aws_lambda_function: 2,
      aws_lambda_function_event_invoke_config: 2,
      aws_lambda_permission: 1,
      aws_cloudwatch_event_rule: 1,
      aws_cloudwatch_event_target: 1,
      aws_cloudwatch_log_group: 5, // warmup and reconciler functions, and the instance logs (nginx access, nginx error, server)
      aws_sqs_queue: 2,
      aws_sqs_queue_policy: 1,
      aws_dynamodb_table: 1,
      aws_scheduler_schedule: 1,
      aws_cloudwatch_metric_alarm: 9,
      aws_sns_topic: 1,
      aws_kms_key: 1,
      aws_cloudwatch_dashboard: 1,
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

  test("GIVEN the default stack (no certificate) WHEN planned THEN the ALB is internal, the target group checks /health, and the app port admits the ALB group only", () => {
    expect(after("aws_lb")).toMatchObject({ internal: true, load_balancer_type: "application", enable_deletion_protection: false, drop_invalid_header_fields: true });
    expect(after("aws_lb_target_group").health_check[0]).toMatchObject({ path: "/health", matcher: "200" });
    const ingress = resourcesOfType(result.plan, "aws_vpc_security_group_ingress_rule").map((r) => r.change.after as Record<string, unknown>);
    const appRules = ingress.filter((r) => r.from_port === 80 && r.cidr_ipv4 === null);
    expect(appRules.length).toBeGreaterThan(0);
    expect(ingress.filter((r) => r.cidr_ipv4 === "0.0.0.0/0").every((r) => r.from_port === 80)).toBe(true);
  });

  test("GIVEN the default stack WHEN planned THEN the warmup function is a Node.js 22 arm64 function in the VPC with JSON logs and a dead-letter destination", () => {
    const fn = ownedBy("Warmup", "aws_lambda_function");
    expect(fn).toMatchObject({ function_name: "warmfleet-dev-warmup", runtime: "nodejs22.x", architectures: ["arm64"], handler: "index.handler", timeout: 900 });
    expect(fn.logging_config[0]).toMatchObject({ log_format: "JSON", log_group: "/aws/lambda/warmfleet-dev-warmup" });
    expect(fn.vpc_config[0].subnet_ids).toBeUndefined(); // known after apply: the private subnets are created in the same plan
    expect(fn.environment[0].variables).toMatchObject({ WARMUP_PORT: "80", WARMUP_FALLBACK_WORKERS: "4", WARMUP_AUTO_SCALING_GROUP_NAME: "warmfleet-dev" });
    expect(ownedBy("Warmup", "aws_lambda_function_event_invoke_config")).toMatchObject({ maximum_retry_attempts: 2, maximum_event_age_in_seconds: 3600 });
    expect(ownedBy("Warmup", "aws_cloudwatch_log_group").retention_in_days).toBe(30);
  });

  test("GIVEN the default stack WHEN planned THEN a one-minute schedule runs the reconciler outside the VPC over the warmup's lease table, reached through a DynamoDB gateway endpoint", () => {
    expect(after("aws_scheduler_schedule")).toMatchObject({ name: "warmfleet-dev-reconciler", schedule_expression: "rate(1 minute)", state: "ENABLED" });
    const reconciler = ownedBy("WarmupReconciler", "aws_lambda_function");
    // Its environment holds the queue URL, known only after apply; the synth tests check it.
    expect(reconciler).toMatchObject({ function_name: "warmfleet-dev-reconciler", vpc_config: [], timeout: 60, runtime: "nodejs22.x" });
    expect(after("aws_dynamodb_table")).toMatchObject({ name: "warmfleet-dev-warmup-claims", billing_mode: "PAY_PER_REQUEST", ttl: [{ attribute_name: "expiresAt", enabled: true }] });
    const gateway = resourcesOfType(result.plan, "aws_vpc_endpoint").find((r) => r.change.after?.vpc_endpoint_type === "Gateway" && String(r.change.after?.service_name).endsWith(".dynamodb"));
    expect(gateway?.change.after).toMatchObject({ service_name: "com.amazonaws.us-east-1.dynamodb" });
    expect(after("aws_sns_topic")).toMatchObject({ name: "warmfleet-dev-fleet-alerts" });
  });

  test("GIVEN the default stack WHEN planned THEN the rule matches this group's launch hook and invokes the function with retries and a DLQ", () => {
    expect(JSON.parse(after("aws_cloudwatch_event_rule").event_pattern)).toEqual({
      source: ["aws.autoscaling"],
      "detail-type": ["EC2 Instance-launch Lifecycle Action"],
      detail: { AutoScalingGroupName: ["warmfleet-dev"], LifecycleHookName: ["warmfleet-dev-launch"] },
    });
    const target = after("aws_cloudwatch_event_target");
    expect(target.retry_policy[0]).toEqual({ maximum_retry_attempts: 8, maximum_event_age_in_seconds: 3600 });
    expect(target.dead_letter_config).toHaveLength(1);
    expect(after("aws_lambda_permission")).toMatchObject({ principal: "events.amazonaws.com", action: "lambda:InvokeFunction" });
  });

  test("GIVEN the default stack WHEN planned THEN the function's role completes lifecycle actions of this group's ARN only", () => {
    const lifecycle = resourcesOfType(result.plan, "aws_iam_role_policy").find((r) => r.change.after?.name === "lifecycle-actions");
    // The policy document renders actions as a set, in its own order.
    const statements = JSON.parse(lifecycle?.change.after?.policy as string).Statement.map((st: { Action: string[] }) => ({ ...st, Action: [...st.Action].sort() }));
    expect(statements).toEqual([
      {
        Sid: "CompleteThisGroupsLifecycleActions",
        Effect: "Allow",
        Action: ["autoscaling:CompleteLifecycleAction", "autoscaling:RecordLifecycleActionHeartbeat"],
        Resource: "arn:aws:autoscaling:us-east-1:123456789012:autoScalingGroup:*:autoScalingGroupName/warmfleet-dev",
      },
      { Sid: "FindInstances", Effect: "Allow", Action: ["autoscaling:DescribeAutoScalingInstances", "ec2:DescribeInstances"], Resource: "*" },
    ]);
  });

  test("GIVEN the default stack WHEN planned THEN ec2 and autoscaling interface endpoints have private DNS", () => {
    const interfaces = resourcesOfType(result.plan, "aws_vpc_endpoint")
      .map((r) => r.change.after as Record<string, any>)
      .filter((e) => e.vpc_endpoint_type === "Interface");
    expect(interfaces.map((e) => e.service_name).sort()).toEqual(["com.amazonaws.us-east-1.autoscaling", "com.amazonaws.us-east-1.ec2"]);
    expect(interfaces.every((e) => e.private_dns_enabled === true)).toBe(true);
  });
});

// Leaving CDKTF: the HCL export must be plain Terraform that plans to the same resource addresses
// as the JSON the project deploys today, so state carries over as is.
describe("HCL export", () => {
  const plannedAddresses = (plan: StackPlan) =>
    (plan.plan.resource_changes ?? [])
      .filter((r) => r.mode === "managed")
      .map((r) => r.address)
      .sort();

  test("GIVEN the default stack WHEN exported THEN it is plain .tf with its assets and lock file", () => {
    const dir = join(hclOut as string, "stacks", STACK);
    expect(existsSync(join(dir, "cdk.tf"))).toBe(true);
    expect(existsSync(join(dir, "cdk.tf.json"))).toBe(false);
    expect(existsSync(join(dir, ".terraform.lock.hcl"))).toBe(true);
    expect(readFileSync(join(dir, "cdk.tf"), "utf8")).toMatch(/^resource "aws_autoscaling_group" "Fleet_AutoScalingGroup_\w+" \{/m);
  });

  test("GIVEN the exported stack WHEN planned offline THEN it plans the same addresses as the JSON output", () => {
    expect(plannedAddresses(plans.hcl).length).toBeGreaterThan(50);
    expect(plannedAddresses(plans.hcl)).toEqual(plannedAddresses(plans.json));
  });
});
