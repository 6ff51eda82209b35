import { execFileSync, spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { REPO_ROOT, removeDir } from "../support/terraform";

// Teams install the packed tarball, not this repository: everything here runs against what
// `npm pack` ships, in a fresh project that knows nothing of our sources, tsconfig or jest setup.
// The project's code is examples/consumer/, which README.md quotes, so neither can drift.
const EXAMPLE = join(REPO_ROOT, "examples", "consumer");
const EXAMPLE_FILES = ["stack.ts", "main.ts", "stack.test.ts"];
const WARMUP_ZIP = join(REPO_ROOT, "dist", "lambdas", "warmup.zip");
const STACK = "models";
/** Paths the tarball may hold: the compiled library, the prebuilt Lambda zips, README, LICENSE, package.json. */
const SHIPPED = /^(lib\/.+\.(js|d\.ts)|dist\/lambdas\/[^/]+\.zip|README\.md|LICENSE|package\.json)$/;

interface PackResult {
  readonly filename: string;
  readonly files: readonly { readonly path: string }[];
}

interface JestResults {
  readonly numPassedTests: number;
  readonly numFailedTests: number;
  readonly testResults: readonly { readonly message: string }[];
}

/** Packing skips prepack (a second build): the tarball must not miss, or ship a stale, build. */
function requireFreshBuild(): void {
  for (const source of listFiles(join(REPO_ROOT, "modules")).filter((f) => f.endsWith(".ts"))) {
    const compiled = join(REPO_ROOT, "lib", source.replace(/\.ts$/, ".js"));
    if (!existsSync(compiled) || statSync(compiled).mtimeMs < statSync(join(REPO_ROOT, "modules", source)).mtimeMs) {
      throw new Error(`lib/ is missing or older than modules/${source}: run \`npm run build\` first (npm test does)`);
    }
  }
  // Packed with --ignore-scripts below: the zips must already be built from the sources as they are.
  const check = spawnSync(process.execPath, ["scripts/ensure-lambdas.js", "--check"], { cwd: REPO_ROOT, encoding: "utf8" });
  if (check.status !== 0) throw new Error(`the Lambda zips are stale: ${check.stderr}`);
  if (!existsSync(WARMUP_ZIP)) throw new Error("dist/lambdas/warmup.zip is missing: run `npm run build` first (npm test does)");
}

function listFiles(dir: string, prefix = ""): string[] {
  return readdirSync(join(dir, prefix), { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? listFiles(dir, join(prefix, e.name)) : [join(prefix, e.name)],
  );
}

function pack(destination: string): PackResult {
  const out = execFileSync("npm", ["pack", "--ignore-scripts", "--json", "--pack-destination", destination], { cwd: REPO_ROOT, stdio: "pipe" });
  return (JSON.parse(out.toString()) as PackResult[])[0];
}

/** The exact versions this repository tests with, so the consumer installs them from the npm cache. */
function lockedVersions(names: readonly string[]): Record<string, string> {
  const lock = JSON.parse(readFileSync(join(REPO_ROOT, "package-lock.json"), "utf8")) as { packages: Record<string, { version: string }> };
  return Object.fromEntries(names.map((name) => [name, lock.packages[`node_modules/${name}`].version]));
}

function createConsumer(dir: string, tarball: string): void {
  cpSync(EXAMPLE, dir, { recursive: true });
  const manifest = {
    name: "warmfleet-consumer",
    private: true,
    dependencies: { warmfleet: `file:${tarball}`, ...lockedVersions(["cdktf", "constructs", "@cdktf/provider-aws"]) },
    devDependencies: lockedVersions(["typescript", "jest", "@swc/core", "@swc/jest", "@types/jest", "@types/node"]),
  };
  writeFileSync(join(dir, "package.json"), `${JSON.stringify(manifest, null, 2)}\n`);
}

/** Runs a command and returns its stdout; a failure carries both streams (execFileSync's only stderr). */
function run(cwd: string, command: string, args: readonly string[], env: NodeJS.ProcessEnv = process.env): string {
  const result = spawnSync(command, args, { cwd, env, encoding: "utf8", timeout: 120_000 });
  if (result.status !== 0) throw new Error(`${command} ${args.join(" ")} exited ${result.status}\n${result.stdout}\n${result.stderr}`);
  return result.stdout;
}

/** Runs a CommonJS script in the consumer, where require() resolves as the consumer's own code does. */
function runInConsumer(consumer: string, script: string): unknown {
  return JSON.parse(run(consumer, process.execPath, ["-e", script]));
}

/** Every installed copy of a package: node_modules/<name> at any depth of the tree. */
function installedCopies(nodeModules: string, name: string): string[] {
  if (!existsSync(nodeModules)) return [];
  const packages = readdirSync(nodeModules)
    .filter((entry) => !entry.startsWith("."))
    .flatMap((entry) => (entry.startsWith("@") ? readdirSync(join(nodeModules, entry)).map((scoped) => `${entry}/${scoped}`) : [entry]));
  return packages.flatMap((pkg) => [...(pkg === name ? [join(nodeModules, pkg)] : []), ...installedCopies(join(nodeModules, pkg, "node_modules"), name)]);
}

describe("the packed package in a consumer project", () => {
  let packDir: string;
  let consumer: string;
  let packed: PackResult;

  beforeAll(() => {
    requireFreshBuild();
    packDir = mkdtempSync(join(tmpdir(), "warmfleet-pack-"));
    consumer = mkdtempSync(join(tmpdir(), "warmfleet-consumer-"));
    packed = pack(packDir);
    createConsumer(consumer, join(packDir, packed.filename));
    // --prefer-offline: every package comes from the npm cache when it is there.
    run(consumer, "npm", ["install", "--prefer-offline", "--no-audit", "--no-fund"]);
    run(consumer, join(consumer, "node_modules", ".bin", "tsc"), ["-p", "."]);
    run(consumer, process.execPath, [join("build", "main.js")], { ...process.env, CDKTF_OUTDIR: join(consumer, "cdktf.out") });
  }, 150_000);
  afterAll(() => [packDir, consumer].forEach(removeDir));

  test("GIVEN npm pack WHEN its files are listed THEN it holds the compiled library, the prebuilt Lambda zips, README and LICENSE only", () => {
    const paths = packed.files.map((f) => f.path);
    expect(paths).toEqual(expect.arrayContaining(["lib/index.js", "lib/index.d.ts", "dist/lambdas/warmup.zip", "dist/lambdas/warmup-reconciler.zip", "README.md", "LICENSE", "package.json"]));
    expect(paths.filter((path) => !SHIPPED.test(path))).toEqual([]);
  });

  test("GIVEN npm pack WHEN its lib/ is listed THEN every file has its source in modules/ (tsc leaves outputs of deleted modules behind)", () => {
    const sources = packed.files.filter((f) => f.path.startsWith("lib/")).map((f) => f.path.replace(/^lib\//, "modules/").replace(/\.(js|d\.ts)$/, ".ts"));
    expect(sources.filter((source) => !existsSync(join(REPO_ROOT, source)))).toEqual([]);
  });

  test("GIVEN the package root WHEN required in the consumer THEN it exports the constructs and their enums, and no internals", () => {
    const exported = runInConsumer(consumer, 'console.log(JSON.stringify(Object.keys(require("warmfleet"))))');
    expect(exported).toEqual(
      expect.arrayContaining(["Network", "InferenceLoadBalancer", "InferenceFleet", "VpcEndpoints", "WarmupHook", "PropValidationError", "WarmPoolState", "WarmupMethod"]),
    );
    for (const internal of ["deterministicZip", "unzipFile", "readDirectory", "policyDocument", "assumeRolePolicy", "requireIntegerInRange"]) {
      expect(exported).not.toContain(internal);
    }
  });

  test("GIVEN the exports map WHEN the consumer deep-imports an internal module THEN Node refuses it", () => {
    const code = runInConsumer(consumer, 'try { require("warmfleet/lib/internal/zip"); console.log("null") } catch (e) { console.log(JSON.stringify(e.code)) }');
    expect(code).toBe("ERR_PACKAGE_PATH_NOT_EXPORTED");
  });

  test("GIVEN the example app compiled with strict tsc WHEN run THEN the warmup function deploys the packed zip, byte for byte", () => {
    const stackDir = join(consumer, "cdktf.out", "stacks", STACK);
    const json = JSON.parse(readFileSync(join(stackDir, "cdk.tf.json"), "utf8")) as { resource: Record<string, Record<string, { filename?: string }>> };
    const functions = Object.values(json.resource.aws_lambda_function);
    expect(functions).toHaveLength(1);
    expect(readFileSync(join(stackDir, String(functions[0].filename))).equals(readFileSync(WARMUP_ZIP))).toBe(true);
  });

  test("GIVEN the example app WHEN synthesized THEN cdk.tf.json names no path of this machine", () => {
    const text = readFileSync(join(consumer, "cdktf.out", "stacks", STACK, "cdk.tf.json"), "utf8");
    for (const dir of [consumer, packDir, tmpdir(), REPO_ROOT]) expect(text).not.toContain(dir);
  });

  test("GIVEN the example's jest test WHEN the consumer runs its own jest (swc, no transformIgnorePatterns) THEN it passes", () => {
    const outputFile = join(consumer, "jest-results.json");
    const jest = join(consumer, "node_modules", ".bin", "jest");
    // Exits non-zero when a test fails: the results file says which and why.
    spawnSync(jest, ["--ci", "--json", "--outputFile", outputFile, "--cacheDirectory", join(consumer, ".jest-cache")], { cwd: consumer, encoding: "utf8", timeout: 60_000 });
    const results = JSON.parse(readFileSync(outputFile, "utf8")) as JestResults;
    expect(results.testResults.map((r) => r.message).join("\n")).toBe("");
    expect(results.numFailedTests).toBe(0);
    expect(results.numPassedTests).toBeGreaterThan(0);
  }, 60_000);

  test("GIVEN the consumer's install WHEN its tree is walked THEN it holds one cdktf and one constructs", () => {
    const nodeModules = join(consumer, "node_modules");
    expect(installedCopies(nodeModules, "cdktf")).toEqual([join(nodeModules, "cdktf")]);
    expect(installedCopies(nodeModules, "constructs")).toEqual([join(nodeModules, "constructs")]);
  });

  test("GIVEN the consumer's stack WHEN built THEN the fleet is a Construct of the consumer's own constructs", () => {
    const script = [
      'const { Construct } = require("constructs");',
      'const { App } = require("cdktf");',
      'const { ModelStack } = require("./build/stack");',
      'console.log(new ModelStack(new App(), "check").fleet instanceof Construct);',
    ].join("\n");
    expect(runInConsumer(consumer, script)).toBe(true);
  });
});

describe("README", () => {
  test.each(EXAMPLE_FILES)("GIVEN examples/consumer/%s WHEN README is read THEN it quotes the file verbatim", (file) => {
    const readme = readFileSync(join(REPO_ROOT, "README.md"), "utf8");
    expect(readme).toContain(`\`\`\`ts\n${readFileSync(join(EXAMPLE, file), "utf8")}\`\`\`\n`);
  });
});
