import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

/** Environment variable naming the provider filesystem mirror (the folder holding registry.terraform.io/). */
export const MIRROR_ENV = "WARMFLEET_PROVIDER_MIRROR";

/** The subset of `terraform show -json <plan>` the tests and summaries read. */
export interface PlanJson {
  readonly resource_changes?: ResourceChange[];
}

export interface ResourceChange {
  readonly address: string;
  readonly type: string;
  readonly name: string;
  readonly mode: "managed" | "data";
  readonly change: {
    readonly actions: string[];
    readonly after: Record<string, unknown> | null;
    readonly replace_paths?: unknown[];
  };
}

/** A stack's planned changes. */
export interface StackPlan {
  readonly plan: PlanJson;
}

export interface OfflinePlan extends StackPlan {
  /** Output of `terraform validate -json`. */
  readonly validate: { valid: boolean; error_count: number; diagnostics: unknown[] };
}

export interface OfflinePlanOptions {
  /** Loopback URL every AWS endpoint points at (a loopback AWS server answers the data sources). */
  readonly endpoint: string;
}

/** Resolves the provider mirror from the environment, with an error that says how to set it. */
export function providerMirror(): string {
  const mirror = process.env[MIRROR_ENV];
  if (!mirror || !existsSync(join(mirror, "registry.terraform.io"))) {
    throw new Error(
      `${MIRROR_ENV}=${JSON.stringify(mirror ?? "")} is not a Terraform provider mirror (no registry.terraform.io/ inside). ` +
        `Set it to the folder that holds registry.terraform.io/hashicorp/aws/5.100.0, for example ` +
        `export ${MIRROR_ENV}="$(scripts/find-provider-mirror.sh)"`,
    );
  }
  return mirror;
}

/**
 * Runs terraform init, validate and plan on a synthesized stack directory without AWS:
 * providers come from the filesystem mirror, credentials are fake, every endpoint is loopback.
 * Works on a copy, so cdktf.out stays untouched.
 */
export async function offlinePlan(stackDir: string, options: OfflinePlanOptions): Promise<OfflinePlan> {
  const workDir = copyStack(stackDir);
  try {
    const env = terraformEnv(workDir, options.endpoint);
    // The backend block must be replaced before init, the provider block before plan.
    writeOverride(workDir, options.endpoint, []);
    await terraform(workDir, env, ["init", "-input=false", "-no-color"]);
    writeOverride(workDir, options.endpoint, await endpointNames(workDir, env));
    const validate = await validateAndPlan(workDir, env, stackDir);
    const plan = JSON.parse((await terraform(workDir, env, ["show", "-json", "offline.tfplan"])).stdout) as PlanJson;
    return { plan, validate };
  } finally {
    rmSync(workDir, { recursive: true, force: true });
  }
}

/**
 * Plans several synthesized stacks in ONE Terraform run: each stack becomes a module of a
 * throwaway root configuration, so the provider (whose schema costs seconds to load for every
 * Terraform command) starts once for all of them instead of four times per stack. Each stack's
 * own provider block is kept (a child module may configure its provider when it is called
 * without count/for_each), its backend block is dropped (only a root has one). Results come back
 * per stack, with the `module.<id>.` prefix taken off every address.
 */
export async function offlinePlanStacks(stackDirs: Readonly<Record<string, string>>, options: OfflinePlanOptions): Promise<Record<string, StackPlan>> {
  const ids = Object.keys(stackDirs).sort();
  const workDir = mkdtempSync(join(tmpdir(), "warmfleet-tf-"));
  try {
    for (const id of ids) copyAsModule(stackDirs[id], join(workDir, "stacks", id));
    const firstLockFile = ids.map((id) => join(stackDirs[id], ".terraform.lock.hcl")).find(existsSync);
    if (firstLockFile) cpSync(firstLockFile, join(workDir, ".terraform.lock.hcl"));
    writeFileSync(join(workDir, "main.tf.json"), JSON.stringify({ module: Object.fromEntries(ids.map((id) => [id, { source: `./stacks/${id}` }])) }, null, 2));
    writeFileSync(join(workDir, "offline_override.tf.json"), JSON.stringify({ terraform: [{ backend: [{ local: [{ path: "offline.tfstate" }] }] }] }, null, 2));
    const env = terraformEnv(workDir, options.endpoint);
    for (const id of ids) writeOverride(join(workDir, "stacks", id), options.endpoint, [], { backend: false });
    await terraform(workDir, env, ["init", "-input=false", "-no-color"]);
    const names = await endpointNames(workDir, env);
    for (const id of ids) writeOverride(join(workDir, "stacks", id), options.endpoint, names, { backend: false });
    // No separate `terraform validate`: plan validates the configuration first and fails on any
    // error, and on two cores a validate beside it would cost the plan a third of its speed.
    await terraform(workDir, env, ["plan", "-input=false", "-no-color", "-lock=false", "-refresh=false", "-out=offline.tfplan"]);
    const plan = JSON.parse((await terraform(workDir, env, ["show", "-json", "offline.tfplan"])).stdout) as PlanJson;
    return Object.fromEntries(ids.map((id) => [id, { plan: { resource_changes: changesOfModule(plan, id) } }]));
  } finally {
    rmSync(workDir, { recursive: true, force: true });
  }
}

/**
 * A synthesized stack as a child module: no backend in JSON output (Terraform ignores a child's
 * backend with a warning, which is what an HCL export's cdk.tf gets).
 */
function copyAsModule(stackDir: string, moduleDir: string): void {
  cpSync(stackDir, moduleDir, { recursive: true, filter: (src) => !src.endsWith(`${"/"}.terraform`) && !src.endsWith(".terraform.lock.hcl") });
  const file = join(moduleDir, "cdk.tf.json");
  if (!existsSync(file)) return;
  const config = JSON.parse(readFileSync(file, "utf8"));
  delete config.terraform?.backend;
  writeFileSync(file, JSON.stringify(config));
}

function changesOfModule(plan: PlanJson, id: string): ResourceChange[] {
  const prefix = `module.${id}.`;
  return (plan.resource_changes ?? []).filter((r) => r.address.startsWith(prefix)).map((r) => ({ ...r, address: r.address.slice(prefix.length) }));
}

/** Validate and plan side by side: each starts the provider, and neither waits for the other. */
async function validateAndPlan(workDir: string, env: NodeJS.ProcessEnv, what: string): Promise<OfflinePlan["validate"]> {
  const [validateOutput, planFailure] = await Promise.all([
    terraform(workDir, env, ["validate", "-json", "-no-color"], true),
    terraform(workDir, env, ["plan", "-input=false", "-no-color", "-lock=false", "-refresh=false", "-out=offline.tfplan"]).then(
      () => undefined,
      (error: Error) => error,
    ),
  ]);
  const validate = JSON.parse(validateOutput.stdout);
  if (!validate.valid) throw new Error(`terraform validate failed for ${what}:\n${JSON.stringify(validate.diagnostics, null, 2)}`);
  if (planFailure) throw planFailure;
  return validate;
}

/**
 * terraform init and validate only, for a stack whose plan another test already covers: the
 * provider's schema makes every Terraform command cost seconds, and the suite runs on two cores.
 */
export async function offlineValidate(stackDir: string): Promise<OfflinePlan["validate"]> {
  const workDir = copyStack(stackDir);
  try {
    const env = terraformEnv(workDir, "http://127.0.0.1:9");
    writeOverride(workDir, "http://127.0.0.1:9", []);
    await terraform(workDir, env, ["init", "-input=false", "-no-color"]);
    return JSON.parse((await terraform(workDir, env, ["validate", "-json", "-no-color"], true)).stdout);
  } finally {
    rmSync(workDir, { recursive: true, force: true });
  }
}

/**
 * A working copy of a synthesized stack (its committed lock file included, so init verifies the
 * provider against it), leaving cdktf.out untouched.
 */
function copyStack(stackDir: string): string {
  const workDir = mkdtempSync(join(tmpdir(), "warmfleet-tf-"));
  cpSync(stackDir, workDir, { recursive: true, filter: (src) => !src.endsWith(`${"/"}.terraform`) });
  return workDir;
}

/** Platforms the mirror holds for the pinned AWS provider, e.g. ["linux_amd64"]. */
export function mirrorPlatforms(version = "5.100.0"): string[] {
  return readdirSync(join(providerMirror(), "registry.terraform.io", "hashicorp", "aws", version)).sort();
}

/**
 * Runs `terraform providers lock` for a stack and returns the lock file it writes. From the
 * mirror only its own platforms can be hashed; from the registry (network) any platform can.
 */
export async function providersLock(stackDir: string, options: { platforms: readonly string[]; fromRegistry: boolean }): Promise<string> {
  const workDir = copyStack(stackDir);
  try {
    rmSync(join(workDir, ".terraform.lock.hcl"), { force: true });
    writeOverride(workDir, "http://127.0.0.1:9", []);
    const env = options.fromRegistry ? { ...terraformEnv(workDir, "http://127.0.0.1:9"), TF_CLI_CONFIG_FILE: "" } : terraformEnv(workDir, "http://127.0.0.1:9");
    const source = options.fromRegistry ? [] : [`-fs-mirror=${providerMirror()}`];
    await terraform(workDir, env, ["providers", "lock", ...source, ...options.platforms.map((p) => `-platform=${p}`)]);
    return readFileSync(join(workDir, ".terraform.lock.hcl"), "utf8");
  } finally {
    rmSync(workDir, { recursive: true, force: true });
  }
}

function terraformEnv(workDir: string, endpoint: string): NodeJS.ProcessEnv {
  const cliConfig = join(workDir, ".terraformrc.offline");
  writeFileSync(
    cliConfig,
    [
      "provider_installation {",
      `  filesystem_mirror {`,
      `    path    = ${JSON.stringify(providerMirror())}`,
      `    include = ["registry.terraform.io/hashicorp/*"]`,
      "  }",
      "}",
      "",
    ].join("\n"),
  );
  return {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    TMPDIR: process.env.TMPDIR,
    TF_CLI_CONFIG_FILE: cliConfig,
    TF_IN_AUTOMATION: "1",
    TF_INPUT: "0",
    CHECKPOINT_DISABLE: "1",
    AWS_ACCESS_KEY_ID: "AKIAOFFLINEPLAN00000",
    AWS_SECRET_ACCESS_KEY: "offline-plan-fake-secret",
    AWS_REGION: "us-east-1",
    AWS_EC2_METADATA_DISABLED: "true",
    AWS_ENDPOINT_URL: endpoint,
  };
}

function writeOverride(workDir: string, endpoint: string, endpointNames: string[], { backend } = { backend: true }): void {
  const endpoints = Object.fromEntries(endpointNames.map((name) => [name, endpoint]));
  const override = {
    ...(backend ? { terraform: [{ backend: [{ local: [{ path: "offline.tfstate" }] }] }] } : {}),
    provider: {
      aws: [
        {
          access_key: "AKIAOFFLINEPLAN00000",
          secret_key: "offline-plan-fake-secret",
          skip_credentials_validation: true,
          skip_requesting_account_id: true,
          skip_metadata_api_check: "true",
          skip_region_validation: true,
          sts_region: "us-east-1",
          ...(endpointNames.length > 0 ? { endpoints: [endpoints] } : {}),
        },
      ],
    },
  };
  writeFileSync(join(workDir, "offline_override.tf.json"), JSON.stringify(override, null, 2));
}

let cachedEndpointNames: Promise<string[]> | undefined;

/**
 * Every endpoint name the installed provider accepts, read from its own schema once per machine:
 * `terraform providers schema` starts the provider (seconds), and every test file is its own
 * process. The cache file is keyed by the mirror's provider binaries (path, size, mtime).
 */
function endpointNames(workDir: string, env: NodeJS.ProcessEnv): Promise<string[]> {
  cachedEndpointNames ??= cachedOnDisk(() => readEndpointNames(workDir, env));
  return cachedEndpointNames;
}

async function cachedOnDisk(read: () => Promise<string[]>): Promise<string[]> {
  const file = join(tmpdir(), `warmfleet-aws-endpoints-${providerFingerprint()}.json`);
  if (existsSync(file)) return JSON.parse(readFileSync(file, "utf8")) as string[];
  const names = await read();
  // Written aside and renamed: a concurrent test process never reads half a file.
  const partial = `${file}.${process.pid}.partial`;
  writeFileSync(partial, JSON.stringify(names));
  renameSync(partial, file);
  return names;
}

function providerFingerprint(): string {
  const root = join(providerMirror(), "registry.terraform.io", "hashicorp", "aws");
  const binaries = readdirSync(root, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile() && entry.name.startsWith("terraform-provider-aws"))
    .map((entry) => {
      const path = join(entry.parentPath, entry.name);
      const stat = statSync(path);
      return `${path}:${stat.size}:${stat.mtimeMs}`;
    })
    .sort();
  return createHash("sha256").update(binaries.join("\n")).digest("hex").slice(0, 16);
}

async function readEndpointNames(workDir: string, env: NodeJS.ProcessEnv): Promise<string[]> {
  const schema = JSON.parse((await terraform(workDir, env, ["providers", "schema", "-json"])).stdout);
  const aws = schema.provider_schemas["registry.terraform.io/hashicorp/aws"];
  const attributes: Record<string, { deprecated?: boolean }> = aws.provider.block.block_types.endpoints.block.attributes;
  return Object.entries(attributes)
    .filter(([, a]) => !a.deprecated)
    .map(([name]) => name)
    .sort();
}

async function terraform(cwd: string, env: NodeJS.ProcessEnv, args: string[], allowFailure = false): Promise<{ stdout: string; stderr: string }> {
  try {
    return await run("terraform", args, { cwd, env, maxBuffer: 256 * 1024 * 1024 });
  } catch (error) {
    const e = error as { stdout?: string; stderr?: string; message: string };
    if (allowFailure && e.stdout) return { stdout: e.stdout, stderr: e.stderr ?? "" };
    throw new Error(`terraform ${args.join(" ")} failed in ${cwd}:\n${e.stderr || e.stdout || e.message}`);
  }
}

/** Managed resource changes of the given type. */
export function resourcesOfType(plan: PlanJson, type: string): ResourceChange[] {
  return (plan.resource_changes ?? []).filter((r) => r.mode === "managed" && r.type === type);
}

/** Number of planned managed resources per type. */
export function countByType(plan: PlanJson): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const r of plan.resource_changes ?? []) {
    if (r.mode === "managed") counts[r.type] = (counts[r.type] ?? 0) + 1;
  }
  return counts;
}
