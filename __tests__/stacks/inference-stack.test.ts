import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { App, Testing } from "cdktf";
import { EnvironmentConfig, defaultEnvironment } from "../../stacks/environments";
import { InferenceStack, buildStacks } from "../../stacks/inference-stack";
import { lockFilePath } from "../../stacks/lock-file-synthesizer";
import { removeDir, synthApp } from "../support/terraform";

const prod: EnvironmentConfig = {
  ...defaultEnvironment,
  name: "prod",
  dependsOn: ["dev"],
  state: { bucket: "acme-terraform-state", kmsKeyId: "arn:aws:kms:us-east-1:123456789012:key/abc", dynamodbTable: "terraform-locks" },
};

function stackJson(environment: EnvironmentConfig): Record<string, any> {
  const app = Testing.app();
  return JSON.parse(Testing.synth(new InferenceStack(app, `warmfleet-${environment.name}`, environment)));
}

describe("InferenceStack", () => {
  test("GIVEN no state config WHEN synthesized THEN state stays local at a relative path", () => {
    expect(stackJson(defaultEnvironment).terraform.backend).toEqual({ local: { path: "terraform.warmfleet-dev.tfstate" } });
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
    const backend = stackJson({ ...defaultEnvironment, state: { bucket: "b", key: "k/state", region: "eu-central-1" } }).terraform.backend.s3;
    expect(backend).toEqual({ bucket: "b", key: "k/state", region: "eu-central-1", encrypt: true, use_lockfile: true });
  });

  test("GIVEN environments with dependsOn WHEN built THEN the stacks depend on each other in the manifest", () => {
    let outdir: string | undefined;
    try {
      outdir = synthApp((app) => buildStacks(app, [defaultEnvironment, prod]));
      const manifest = JSON.parse(readFileSync(join(outdir, "manifest.json"), "utf8"));
      expect(manifest.stacks["warmfleet-prod"].dependencies).toEqual(["warmfleet-dev"]);
      expect(manifest.stacks["warmfleet-dev"].dependencies).toEqual([]);
    } finally {
      removeDir(outdir);
    }
  });

  test("GIVEN dependsOn naming no environment WHEN built THEN it fails naming both", () => {
    expect(() => buildStacks(new App({ outdir: "unused" }), [{ ...prod, dependsOn: ["staging"] }])).toThrow(
      /environment prod: dependsOn names "staging", which is not an environment \(known: prod\)/,
    );
  });

  test("GIVEN a committed lock file WHEN the default stack is synthesized THEN it lands beside cdk.tf.json, byte for byte", () => {
    let outdir: string | undefined;
    try {
      outdir = synthApp((app) => buildStacks(app, [defaultEnvironment]));
      const committed = lockFilePath("warmfleet-dev");
      expect(existsSync(committed)).toBe(true);
      expect(readFileSync(join(outdir, "stacks", "warmfleet-dev", ".terraform.lock.hcl"), "utf8")).toBe(readFileSync(committed, "utf8"));
      expect(readFileSync(committed, "utf8")).toMatch(/provider "registry.terraform.io\/hashicorp\/aws" \{\s+version\s+= "5.100.0"[\s\S]*"h1:/);
    } finally {
      removeDir(outdir);
    }
  });

  test("GIVEN a stack without a committed lock file WHEN synthesized THEN none is invented", () => {
    let outdir: string | undefined;
    try {
      outdir = synthApp((app) => buildStacks(app, [prod].map((e) => ({ ...e, dependsOn: [] }))));
      expect(existsSync(join(outdir, "stacks", "warmfleet-prod", ".terraform.lock.hcl"))).toBe(false);
    } finally {
      removeDir(outdir);
    }
  });
});
