// Compares ways to ship the AWS SDK in the warmup Lambda: bundle size (raw and gzipped, as in
// the deployment zip) and module-load time (a fresh `node` requiring the bundle, median of N).
// Usage: npm run bench:bundle [-- runs]   (default 15)
import { build } from "esbuild";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { bundleOptions } from "./build-lambdas";

const runs = Number(process.argv[2] ?? 15);
const root = join(__dirname, "..");

const variants = [
  { name: "bundled SDK, ESM entry points (shipped)", overrides: {} },
  { name: "bundled SDK, CommonJS entry points", overrides: { mainFields: ["main"] } },
  // The runtime's SDK is plain CommonJS in node_modules; NODE_PATH plays /var/runtime/node_modules.
  { name: "SDK from the runtime (external @aws-sdk/*)", overrides: { external: ["@aws-sdk/*"] } },
];

function loadTimeMs(file: string): number {
  const script = `const t=process.hrtime.bigint();require(${JSON.stringify(file)});process.stdout.write(String(Number(process.hrtime.bigint()-t)/1e6))`;
  const samples = Array.from({ length: runs }, () =>
    Number(execFileSync(process.execPath, ["-e", script], { env: { ...process.env, NODE_PATH: join(root, "node_modules") } }).toString()),
  );
  return samples.sort((a, b) => a - b)[Math.floor(samples.length / 2)];
}

async function main(): Promise<void> {
  const rows: string[] = ["| variant | index.js | gzipped | module load (median) |", "| --- | ---: | ---: | ---: |"];
  for (const variant of variants) {
    const outdir = mkdtempSync(join(tmpdir(), "warmfleet-bundle-"));
    try {
      await build(bundleOptions("warmup", outdir, variant.overrides));
      const code = readFileSync(join(outdir, "index.js"));
      const kib = (n: number) => `${(n / 1024).toFixed(0)} KiB`;
      rows.push(`| ${variant.name} | ${kib(code.length)} | ${kib(gzipSync(code).length)} | ${loadTimeMs(join(outdir, "index.js")).toFixed(0)} ms |`);
    } finally {
      rmSync(outdir, { recursive: true, force: true });
    }
  }
  process.stdout.write(`${rows.join("\n")}\n(node ${process.version}, ${runs} loads each)\n`);
}

main().catch((error: Error) => {
  process.stderr.write(`${error.message}\n`);
  process.exit(1);
});
