// Bundles each Lambda with esbuild into dist/lambdas/<name>/index.js (CommonJS, exports
// `handler`), minified and tree-shaken, with a source map. The AWS SDK is bundled from its ESM
// entry points, which tree-shake to about half the size of the CommonJS ones (README: "Bundling").
// Then zips it once, deterministically, into dist/lambdas/<name>.zip: the file Terraform deploys.
// Last, it writes the build stamp dist/lambdas/<name>.inputs.json (the digest of everything the
// bundle was built from), which scripts/ensure-lambdas.js compares before every synth.
//   node --import tsx scripts/build-lambdas.ts [name ...]   (default: every lambdas/<name>/handler.ts)
import { build, BuildOptions, Metafile } from "esbuild";
import { renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { deterministicZip, readDirectory } from "../modules/internal/zip";

const root = join(__dirname, "..");

/** The stamp helpers, shared with the plain-JavaScript freshness check so both compute one digest. */
interface StampLib {
  readonly FIXED_INPUTS: readonly string[];
  hashFile(root: string, relative: string): string | null;
  lambdaFiles(root: string, name: string): string[];
  lambdaNames(root: string): string[];
  stampPath(name: string): string;
  stampText(name: string, inputs: Readonly<Record<string, string>>, files: readonly string[], zipSha256: string): string;
  zipPath(name: string): string;
}
const stamps = require("./ensure-lambdas.js") as StampLib;

/** Node.js 22 is the Lambda runtime (nodejs22.x); esbuild targets exactly what it supports. */
export const LAMBDA_TARGET = "node22";

export function bundleOptions(name: string, outdir: string, overrides: Partial<BuildOptions> = {}): BuildOptions {
  return {
    absWorkingDir: root,
    entryPoints: [`lambdas/${name}/handler.ts`],
    outfile: join(outdir, "index.js"),
    bundle: true,
    platform: "node",
    target: LAMBDA_TARGET,
    format: "cjs",
    mainFields: ["module", "main"],
    minify: true,
    treeShaking: true,
    sourcemap: true,
    // Stack traces need names and lines, not the sources: keeps the zip small and free of paths.
    sourcesContent: false,
    legalComments: "none",
    logLevel: "warning",
    metafile: true,
    ...overrides,
  };
}

/**
 * The bundle's inputs (relative path -> sha256): what esbuild read outside node_modules, plus the
 * fixed inputs. Files hashed before the build are taken from `before`, so an edit made while
 * esbuild ran shows up as a change at the next check instead of being stamped as built.
 */
function bundleInputs(metafile: Metafile, before: Readonly<Record<string, string | null>>): Record<string, string> {
  const paths = new Set(stamps.FIXED_INPUTS);
  for (const input of Object.keys(metafile.inputs)) {
    // Real files only (no "<runtime>" or "ns:path" virtual modules); node_modules is pinned by package-lock.json.
    if (/^[<(]|^[a-z-]+:/i.test(input) || input.split("/").includes("node_modules")) continue;
    paths.add(input);
  }
  const inputs: Record<string, string> = {};
  for (const path of paths) {
    const hash = path in before ? before[path] : stamps.hashFile(root, path);
    if (hash === null) throw new Error(`input ${path} of the bundle is missing`);
    inputs[path] = hash;
  }
  return inputs;
}

async function buildLambda(name: string): Promise<void> {
  const outdir = join(root, "dist", "lambdas", name);
  // The old stamp stays until the new one replaces it: after a failed or interrupted build it no
  // longer matches the sources (or the zip, whose sha256 it records), so the next check rebuilds.
  const files = stamps.lambdaFiles(root, name);
  const before = Object.fromEntries([...stamps.FIXED_INPUTS, ...files].map((path) => [path, stamps.hashFile(root, path)]));

  rmSync(outdir, { recursive: true, force: true });
  const result = await build(bundleOptions(name, outdir));
  const bytes = Object.values(result.metafile?.outputs ?? {}).reduce((sum, o) => sum + o.bytes, 0);
  const zip = deterministicZip(readDirectory(outdir));
  const zipFile = join(root, stamps.zipPath(name));
  writeFileSync(`${zipFile}.partial`, zip);
  renameSync(`${zipFile}.partial`, zipFile);

  const inputs = bundleInputs(result.metafile as Metafile, before);
  const stamp = stamps.stampText(name, inputs, files, stamps.hashFile(root, stamps.zipPath(name)) as string);
  const stampFile = join(root, stamps.stampPath(name));
  writeFileSync(`${stampFile}.partial`, stamp);
  renameSync(`${stampFile}.partial`, stampFile);
  process.stdout.write(
    `built dist/lambdas/${name}/index.js (${(bytes / 1024).toFixed(0)} KiB with source map), ${stamps.zipPath(name)} (${(zip.length / 1024).toFixed(0)} KiB), ${stamps.stampPath(name)} (${Object.keys(inputs).length} inputs)\n`,
  );
}

async function main(): Promise<void> {
  const all = stamps.lambdaNames(root);
  const names = process.argv.slice(2);
  const unknown = names.filter((n) => !all.includes(n));
  if (unknown.length > 0) throw new Error(`no Lambda ${unknown.join(", ")}; the Lambdas are ${all.join(", ")} (lambdas/<name>/handler.ts)`);
  for (const name of names.length > 0 ? names : all) await buildLambda(name);
}

if (require.main === module) {
  main().catch((error: Error) => {
    process.stderr.write(`build failed: ${error.message}\n`);
    process.exit(1);
  });
}
