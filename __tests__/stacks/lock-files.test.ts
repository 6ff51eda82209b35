import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { AnnotationMetadataEntryType, Testing } from "cdktf";
import { defineEnvironment, dev, environments } from "../../stacks/environments";
import { InferenceStack, buildStacks, stackName } from "../../stacks/inference-stack";
import { lockFilePath } from "../../stacks/lock-file-synthesizer";
import { removeDir, synthApp } from "../support/terraform";

const inputs = { userData: "#!/bin/bash\n" };
const uncommitted = defineEnvironment({ name: "lockless", region: "us-east-1" });

function stackWarnings(stack: InferenceStack): string[] {
  return stack.node.metadata.filter((entry) => entry.type === AnnotationMetadataEntryType.WARN).map((entry) => String(entry.data));
}

describe("committed provider lock files", () => {
  test("GIVEN every environment of the app WHEN its committed lock file is looked up THEN it exists", () => {
    const missing = environments.map(stackName).filter((stack) => !existsSync(lockFilePath(stack)));
    if (missing.length > 0) {
      throw new Error(`no committed lock file for ${missing.join(", ")}: run \`npm run locks:update\` and commit terraform-locks/`);
    }
  });

  test("GIVEN a committed lock file WHEN the default stack is synthesized THEN it lands beside cdk.tf.json, byte for byte", () => {
    let outdir: string | undefined;
    try {
      outdir = synthApp((app) => buildStacks(app, [dev], inputs));
      const committed = lockFilePath("warmfleet-dev");
      expect(readFileSync(join(outdir, "stacks", "warmfleet-dev", ".terraform.lock.hcl"), "utf8")).toBe(readFileSync(committed, "utf8"));
      expect(readFileSync(committed, "utf8")).toMatch(/provider "registry.terraform.io\/hashicorp\/aws" \{\s+version\s+= "5.100.0"[\s\S]*"h1:/);
    } finally {
      removeDir(outdir);
    }
  });

  test("GIVEN a committed lock file WHEN the stack is built THEN it raises no lock file warning", () => {
    expect(stackWarnings(new InferenceStack(Testing.app(), "warmfleet-dev", dev, inputs))).toEqual([]);
  });

  test("GIVEN a stack without a committed lock file WHEN built THEN a synth warning names npm run locks:update", () => {
    expect(stackWarnings(new InferenceStack(Testing.app(), "warmfleet-lockless", uncommitted, inputs))).toEqual([
      "warmfleet-lockless has no committed provider lock file (terraform-locks/warmfleet-lockless.terraform.lock.hcl): run `npm run locks:update` and commit it.",
    ]);
  });

  test("GIVEN a stack without a committed lock file WHEN synthesized THEN none is invented", () => {
    let outdir: string | undefined;
    try {
      outdir = synthApp((app) => buildStacks(app, [uncommitted], inputs));
      expect(existsSync(join(outdir, "stacks", "warmfleet-lockless", ".terraform.lock.hcl"))).toBe(false);
    } finally {
      removeDir(outdir);
    }
  });
});
