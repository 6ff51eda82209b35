import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { Testing } from "cdktf";
import { EnvironmentConfig, EnvironmentDefinition, defineEnvironment, dev } from "../../stacks/environments";
import { InferenceStack, StackInputs, buildStacks } from "../../stacks/inference-stack";
import { REPO_ROOT, removeDir, synthApp } from "../support/terraform";

const inputs: StackInputs = { userData: "#!/bin/bash\necho test server\n" };

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

function devWith(overrides: Omit<EnvironmentDefinition, "name" | "region">): EnvironmentConfig {
  return defineEnvironment({ name: "dev", region: "us-east-1", ...overrides });
}

describe("InferenceStack", () => {
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
    expect(only(stackJson(dev), "aws_launch_template").user_data).toBe(Buffer.from(inputs.userData, "utf8").toString("base64"));
  });

  test("GIVEN workersPerInstance WHEN synthesized THEN the warmup function sends rounds twice that wide", () => {
    const variables = only(stackJson(devWith({ fleet: { workersPerInstance: 3 } })), "aws_lambda_function").environment.variables;
    expect(variables.WARMUP_CONCURRENCY).toBe("6");
  });

  test("GIVEN no workersPerInstance WHEN synthesized THEN rounds follow the instance type's vCPUs (c6i.xlarge: 4 workers, 8 wide)", () => {
    expect(only(stackJson(dev), "aws_lambda_function").environment.variables.WARMUP_CONCURRENCY).toBe("8");
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

  test("GIVEN the stacks folder WHEN its imports are read THEN nothing comes from examples/ (the server is a stack input)", () => {
    const sources = readdirSync(join(REPO_ROOT, "stacks")).filter((file) => file.endsWith(".ts"));
    for (const file of sources) {
      expect(readFileSync(join(REPO_ROOT, "stacks", file), "utf8")).not.toMatch(/from "\.\.\/examples\//);
    }
  });
});
