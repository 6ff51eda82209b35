import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { App } from "cdktf";
import { parse } from "yaml";
import { atlantisYaml } from "../../scripts/atlantis-config";
import { readSynthManifest as readManifest } from "../../scripts/lib/manifest";
import { OfflinePlan, offlineValidate } from "../../testing/offline-terraform";
import { defineEnvironment, dev } from "../../stacks/environments";
import { buildStacks } from "../../stacks/inference-stack";
import { PLAN_TIMEOUT_MS, REPO_ROOT, removeDir, synthMainApp } from "../support/terraform";

interface Project {
  name: string;
  dir: string;
  workspace: string;
  workflow: string;
  depends_on?: string[];
  autoplan: { enabled: boolean; when_modified: string[] };
}

const prod = defineEnvironment({
  name: "prod",
  region: "eu-west-1",
  availabilityZones: ["eu-west-1a", "eu-west-1b", "eu-west-1c"],
  dependsOn: ["dev"],
  state: { bucket: "acme-terraform-state", dynamodbTable: "terraform-locks" },
});

describe("atlantis.yaml for a two-environment app", () => {
  let root: string | undefined;
  let projects: Project[];
  let document: Record<string, unknown>;
  let prodValidate: OfflinePlan["validate"];

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), "warmfleet-atlantis-"));
    const app = new App({ outdir: join(root, "cdktf.out") });
    buildStacks(app, [dev, prod], { userData: "#!/bin/bash\n" });
    app.synth();
    document = parse(atlantisYaml(readManifest(join(root, "cdktf.out")), "cdktf.out"));
    projects = document.projects as Project[];
    // The prod dir is initialised and validated; its plan adds nothing the default stack's plan
    // (default-stack-plan.test.ts, the same constructs) and the example plans do not show, and
    // every Terraform command costs the provider's schema load on two cores.
    const prodProject = projects.find((p) => p.name === "warmfleet-prod") as Project;
    prodValidate = await offlineValidate(join(root, prodProject.dir));
  }, PLAN_TIMEOUT_MS);
  afterAll(() => removeDir(root));

  test("GIVEN two environments WHEN generated THEN version 3 with one project per stack in its synthesized directory", () => {
    expect(document).toMatchObject({ version: 3, automerge: false, parallel_plan: true });
    expect(projects.map((p) => [p.name, p.dir, p.workspace, p.workflow])).toEqual([
      ["warmfleet-dev", "cdktf.out/stacks/warmfleet-dev", "default", "cdktf"],
      ["warmfleet-prod", "cdktf.out/stacks/warmfleet-prod", "default", "cdktf"],
    ]);
  });

  test("GIVEN prod depends on dev WHEN generated THEN depends_on follows the stack dependencies", () => {
    expect(projects[0].depends_on).toBeUndefined();
    expect(projects[1].depends_on).toEqual(["warmfleet-dev"]);
  });

  test("GIVEN the layout WHEN generated THEN autoplan fires on TypeScript sources, lambdas, lock files and the stack's own lock file", () => {
    const triggers = projects[1].autoplan.when_modified;
    expect(projects[1].autoplan.enabled).toBe(true);
    expect(triggers).toEqual(
      expect.arrayContaining([
        "*.tf.json",
        "../../../main.ts",
        "../../../stacks/**/*.ts",
        "../../../modules/**/*.ts",
        "../../../lambdas/**/*",
        "../../../package-lock.json",
        "../../../terraform-locks/warmfleet-prod.terraform.lock.hcl",
      ]),
    );
    // when_modified is relative to the project dir: every ../ climbs back to the repository root.
    expect(join(REPO_ROOT, projects[1].dir, "../../../main.ts")).toBe(join(REPO_ROOT, "main.ts"));
  });

  test("GIVEN the default WHEN generated THEN projects use the server's cdktf workflow and define none", () => {
    expect(document.workflows).toBeUndefined();
    const repos = parse(readFileSync(join(REPO_ROOT, "examples", "atlantis", "repos.yaml"), "utf8"));
    expect(repos.workflows.cdktf.plan.steps).toEqual(["init", "plan"]);
    expect(repos.repos[0]).toMatchObject({ allowed_overrides: ["workflow"], allow_custom_workflows: false });
    expect(repos.repos[0].pre_workflow_hooks[0].run).toBe("npm ci --no-audit --no-fund && npm run synth && npm run atlantis:config");
  });

  test("GIVEN --inline-workflow WHEN generated THEN atlantis.yaml defines the workflow that plans the synthesized stack", () => {
    const inline = parse(atlantisYaml(readManifest(join(root as string, "cdktf.out")), "cdktf.out", { inlineWorkflow: true }));
    expect(inline.workflows).toEqual({ cdktf: { plan: { steps: ["init", "plan"] }, apply: { steps: ["apply"] } } });
    expect(inline.projects.every((p: Project) => p.workflow === "cdktf")).toBe(true);
  });

  test("GIVEN the prod project dir WHEN initialised and validated offline THEN it is valid Terraform for prod's group", () => {
    expect(prodValidate).toMatchObject({ valid: true, error_count: 0 });
    const stack = JSON.parse(readFileSync(join(root as string, "cdktf.out", "stacks", "warmfleet-prod", "cdk.tf.json"), "utf8"));
    expect(Object.values(stack.resource.aws_autoscaling_group)).toEqual([expect.objectContaining({ name: "warmfleet-prod" })]);
  });
});

describe("committed atlantis.yaml", () => {
  test("GIVEN the app as committed WHEN atlantis.yaml is regenerated THEN it matches the committed file", () => {
    const outdir = synthMainApp();
    try {
      const stale = firstDifference(readFileSync(join(REPO_ROOT, "atlantis.yaml"), "utf8"), atlantisYaml(readManifest(outdir), "cdktf.out"));
      if (stale) throw new Error(`atlantis.yaml is stale (${stale}): run \`npm run synth && npm run atlantis:config\` and commit atlantis.yaml`);
    } finally {
      removeDir(outdir);
    }
  });
});

/** Where two texts first differ, as "line N: committed ... generated ...", or undefined when equal. */
function firstDifference(committed: string, generated: string): string | undefined {
  if (committed === generated) return undefined;
  const [old, current] = [committed.split("\n"), generated.split("\n")];
  const line = old.findIndex((text, i) => text !== current[i]);
  const at = line === -1 ? old.length : line;
  return `line ${at + 1}: committed ${JSON.stringify(old[at] ?? "")}, generated ${JSON.stringify(current[at] ?? "")}`;
}
