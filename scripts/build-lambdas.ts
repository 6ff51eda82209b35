// Bundles each Lambda with esbuild into dist/lambdas/<name>/index.js (CommonJS, exports
// `handler`), minified and tree-shaken, with a source map. The AWS SDK is bundled from its ESM
// entry points, which tree-shake to about half the size of the CommonJS ones (README: "Bundling").
// Then zips it once, deterministically, into dist/lambdas/<name>.zip: the file Terraform deploys.
import { build, BuildOptions } from "esbuild";
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { deterministicZip, readDirectory } from "../modules/internal/zip";

const root = join(__dirname, "..");

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

async function main(): Promise<void> {
  for (const name of ["warmup"]) {
    const outdir = join(root, "dist", "lambdas", name);
    rmSync(outdir, { recursive: true, force: true });
    const result = await build(bundleOptions(name, outdir));
    const bytes = Object.values(result.metafile?.outputs ?? {}).reduce((sum, o) => sum + o.bytes, 0);
    const zip = deterministicZip(readDirectory(outdir));
    writeFileSync(`${outdir}.zip`, zip);
    process.stdout.write(`built dist/lambdas/${name}/index.js (${(bytes / 1024).toFixed(0)} KiB with source map), dist/lambdas/${name}.zip (${(zip.length / 1024).toFixed(0)} KiB)\n`);
  }
}

if (require.main === module) {
  main().catch((error: Error) => {
    process.stderr.write(`build failed: ${error.message}\n`);
    process.exit(1);
  });
}
