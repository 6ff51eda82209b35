import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { Testing } from "cdktf";
import { EnvironmentConfig, EnvironmentDefinition, defineEnvironment, dev } from "../../stacks/environments";
import { InferenceStack, StackInputs, buildStacks } from "../../stacks/inference-stack";
import { REPO_ROOT, removeDir, synthApp } from "../support/terraform";

const USER_DATA = "#!/bin/bash\necho test server\n";
const inputs: StackInputs = { userData: USER_DATA };

const prod = defineEnvironment({
  name: "prod",
  region: "us-east-1",
  dependsOn: ["dev"],
  state: { bucket: "acme-terraform-state", kmsKeyId: "arn:aws:kms:us-east-1:123456789012:key/abc", dynamodbTable: "terraform-locks" },
});

function synthStack(environment: EnvironmentConfig): { stack: InferenceStack; json: Record<string, any> } {
  const stack = new InferenceStack(Testing.app(), `warmfleet-${environment.name}`, environment, inputs);
  return { stack, json: JSON.parse(Testing.synth(stack)) };
}

function stackJson(environment: EnvironmentConfig): Record<string, any> {
  return synthStack(environment).json;
}

function only(json: Record<string, any>, type: string): Record<string, any> {
  const [resource, ...rest] = Object.values(json.resource[type] as Record<string, Record<string, any>>);
  expect(rest).toHaveLength(0);
  return resource;
}

/** The warmup function (the stack also has the reconciler's). */
function warmupFunction(json: Record<string, any>): Record<string, any> {
  const [, fn] = Object.entries(json.resource.aws_lambda_function as Record<string, Record<string, any>>).find(([id]) => id.startsWith("Warmup_Function")) ?? [];
  return fn as Record<string, any>;
}

function devWith(overrides: Omit<EnvironmentDefinition, "name" | "region">): EnvironmentConfig {
  return defineEnvironment({ name: "dev", region: "us-east-1", ...overrides });
}

describe("InferenceStack", () => {
  test("GIVEN an existing network that names its DynamoDB prefix list WHEN synthesized THEN the warmup function reaches its lease table through it and no gateway is created", () => {
    const json = stackJson(
      devWith({ network: { existing: { vpcId: "vpc-0abc", privateSubnetIds: ["subnet-a", "subnet-b"], publicSubnetIds: ["subnet-c", "subnet-d"], dynamoDbPrefixListId: "pl-02cd2c6b" } } }),
    );
    const egress = Object.values(json.resource.aws_vpc_security_group_egress_rule as Record<string, Record<string, any>>);
    expect(egress).toContainEqual(expect.objectContaining({ prefix_list_id: "pl-02cd2c6b", from_port: 443, to_port: 443 }));
    expect(json.resource.aws_vpc_endpoint).toBeDefined();
    expect(Object.values(json.resource.aws_vpc_endpoint as Record<string, Record<string, any>>).filter((e) => e.vpc_endpoint_type === "Gateway")).toEqual([]);
  });

  test("GIVEN no state config WHEN synthesized THEN state stays local at a relative path", () => {
    expect(stackJson(dev).terraform.backend).toEqual({ local: { path: "terraform.warmfleet-dev.tfstate" } });
  });

  test("GIVEN an S3 state config WHEN synthesized THEN the backend is encrypted S3 with native locking and the migration lock table", () => {
    expect(stackJson(prod).terraform.backend).toEqual({
      s3: {
        bucket: "acme-terraform-state",
        key: "warmfleet/prod/terraform.tfstate",
        region: "us-east-1",
        encrypt: true,
        kms_key_id: "arn:aws:kms:us-east-1:123456789012:key/abc",
        dynamodb_table: "terraform-locks",
        use_lockfile: true,
      },
    });
  });

  test("GIVEN an explicit key and bucket region WHEN synthesized THEN they are used", () => {
    const backend = stackJson(devWith({ state: { bucket: "b", key: "k/state", region: "eu-central-1" } })).terraform.backend.s3;
    expect(backend).toEqual({ bucket: "b", key: "k/state", region: "eu-central-1", encrypt: true, use_lockfile: true });
  });

  test("GIVEN environments with dependsOn WHEN built THEN the stacks depend on each other in the manifest", () => {
    let outdir: string | undefined;
    try {
      outdir = synthApp((app) => buildStacks(app, [dev, prod], inputs));
      const manifest = JSON.parse(readFileSync(join(outdir, "manifest.json"), "utf8"));
      expect(manifest.stacks["warmfleet-prod"].dependencies).toEqual(["warmfleet-dev"]);
      expect(manifest.stacks["warmfleet-dev"].dependencies).toEqual([]);
    } finally {
      removeDir(outdir);
    }
  });

  test("GIVEN an environment's name WHEN synthesized THEN the provider tags every resource with Project and that name", () => {
    expect(stackJson(prod).provider.aws[0].default_tags).toEqual([{ tags: { Project: "warmfleet", Environment: "prod" } }]);
  });

  test("GIVEN stack inputs WHEN synthesized THEN the launch template boots the given user data", () => {
    expect(only(stackJson(dev), "aws_launch_template").user_data).toBe(Buffer.from(USER_DATA, "utf8").toString("base64"));
  });

  test("GIVEN a user data function WHEN synthesized THEN it gets the stack's instance log groups, which the instances may write to", () => {
    const stack = new InferenceStack(Testing.app(), "warmfleet-dev", dev, { userData: (groups) => `#!/bin/bash\necho ${groups.nginxAccess} ${groups.server}\n` });
    const json = JSON.parse(Testing.synth(stack));
    const groups = Object.entries(json.resource.aws_cloudwatch_log_group as Record<string, Record<string, any>>).filter(([key]) => key.startsWith("InstanceLogs_"));
    expect(groups.map(([, group]) => group.name).sort()).toEqual(["/warmfleet/warmfleet-dev/nginx-access", "/warmfleet/warmfleet-dev/nginx-error", "/warmfleet/warmfleet-dev/server"]);
    expect(only(json, "aws_launch_template").user_data).toMatch(/^\$\{base64encode\(join\("", \[.*aws_cloudwatch_log_group\.InstanceLogs_nginx-access_\w+\.name.*\]\)\)\}$/s);
    const grants = Object.entries(json.data.aws_iam_policy_document as Record<string, Record<string, any>>).find(([key]) => key.startsWith("Fleet_GrantsPolicyDocument"))?.[1];
    expect(grants?.statement).toContainEqual(
      expect.objectContaining({ actions: ["logs:CreateLogStream", "logs:PutLogEvents"], resources: groups.map(([key]) => `\${aws_cloudwatch_log_group.${key}.arn}:*`) }),
    );
  });

  test("GIVEN workersPerInstance WHEN synthesized THEN the warmup function expects that many workers on every instance", () => {
    const variables = warmupFunction(stackJson(devWith({ fleet: { workersPerInstance: 3 } }))).environment.variables;
    expect(variables).toMatchObject({ WARMUP_WORKERS: "3", WARMUP_FALLBACK_WORKERS: "3" });
  });

  test("GIVEN no workersPerInstance WHEN synthesized THEN each instance's vCPUs count, the type's (c6i.xlarge: 4) only as a fallback", () => {
    expect(warmupFunction(stackJson(dev)).environment.variables.WARMUP_FALLBACK_WORKERS).toBe("4");
  });

  test("GIVEN no desiredCapacity WHEN synthesized THEN the group starts at minSize and the fleet raises no desiredCapacity warning", () => {
    const { stack, json } = synthStack(dev);
    expect(dev.fleet.desiredCapacity).toBeUndefined();
    expect(only(json, "aws_autoscaling_group")).toMatchObject({ min_size: 1, desired_capacity: 1 });
    expect(stack.fleet.node.metadata.map((entry) => String(entry.data))).not.toContainEqual(expect.stringContaining("desiredCapacity"));
  });

  test("GIVEN a desiredCapacity WHEN synthesized THEN the group is created at that size", () => {
    expect(only(stackJson(devWith({ fleet: { desiredCapacity: 2 } })), "aws_autoscaling_group").desired_capacity).toBe(2);
  });

  test("GIVEN dev (disposable, no certificate) WHEN synthesized THEN an internal ALB in the private subnets, no deletion protection, no logs bucket, no WAF", () => {
    const json = stackJson(dev);
    expect(only(json, "aws_lb")).toMatchObject({ internal: true, enable_deletion_protection: false });
    expect(only(json, "aws_lb").subnets).toEqual([expect.stringContaining("PrivateSubnet0"), expect.stringContaining("PrivateSubnet1")]);
    expect(only(json, "aws_lb").access_logs).toBeUndefined();
    expect(json.resource.aws_s3_bucket).toBeUndefined();
    expect(json.resource.aws_wafv2_web_acl).toBeUndefined();
    expect(json.resource.aws_flow_log).toBeUndefined();
  });

  test("GIVEN a production edge WHEN synthesized THEN an internet-facing HTTPS ALB in public subnets with access logs, WAF, flow logs and deletion protection", () => {
    const json = stackJson(
      defineEnvironment({
        name: "prod",
        region: "eu-west-1",
        certificateArn: "arn:aws:acm:eu-west-1:123456789012:certificate/abc",
        edge: { allowedPrefixListIds: ["pl-12345678"], allowedCidrBlocks: [], waf: { rateLimit: 500 }, flowLogs: { logRetentionDays: 30 } },
      }),
    );
    expect(only(json, "aws_lb")).toMatchObject({ internal: false, enable_deletion_protection: true, access_logs: expect.objectContaining({ enabled: true, prefix: "alb" }) });
    expect(only(json, "aws_lb").subnets).toEqual([expect.stringContaining("PublicSubnet0"), expect.stringContaining("PublicSubnet1")]);
    expect(only(json, "aws_s3_bucket").bucket_prefix).toBe("warmfleet-prod-alb-");
    expect(only(json, "aws_wafv2_web_acl").rule[0].statement.rate_based_statement.limit).toBe(500);
    expect(only(json, "aws_flow_log").traffic_type).toBe("ALL");
    const ingress = Object.values(json.resource.aws_vpc_security_group_ingress_rule as Record<string, Record<string, any>>).filter((r) => r.prefix_list_id);
    expect(ingress.map((r) => r.from_port).sort()).toEqual([443, 80]);
  });

  test("GIVEN the stacks folder WHEN its imports are read THEN nothing comes from examples/ (the server is a stack input)", () => {
    const sources = readdirSync(join(REPO_ROOT, "stacks")).filter((file) => file.endsWith(".ts"));
    for (const file of sources) {
      expect(readFileSync(join(REPO_ROOT, "stacks", file), "utf8")).not.toMatch(/from "\.\.\/examples\//);
    }
  });
});
