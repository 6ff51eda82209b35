// Writes each stack's provider lock file to terraform-locks/<stack>.terraform.lock.hcl, the copy
// that survives cdktf.out being regenerated (every synth puts it back beside cdk.tf.json).
//   npm run locks:update                 hashes the platforms the provider mirror holds (offline)
//   npm run locks:update -- --registry   hashes linux and macOS (amd64, arm64) from the registry (network)
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { App } from "cdktf";
import { environments } from "../stacks/environments";
import { APP_PORT, buildStacks } from "../stacks/inference-stack";
import { inferenceServerUserData } from "../examples/inference-server/user-data";
import { lockFilePath } from "../stacks/lock-file-synthesizer";
import { readSynthManifest } from "./lib/manifest";
import { mirrorPlatforms, providersLock } from "../testing/offline-terraform";

const REGISTRY_PLATFORMS = ["linux_amd64", "linux_arm64", "darwin_amd64", "darwin_arm64"];

async function main(): Promise<void> {
  const fromRegistry = process.argv.includes("--registry");
  const platforms = fromRegistry ? REGISTRY_PLATFORMS : mirrorPlatforms();
  const outdir = mkdtempSync(join(tmpdir(), "warmfleet-locks-"));
  try {
    const app = new App({ outdir });
    buildStacks(app, environments, { userData: inferenceServerUserData({ port: APP_PORT }) });
    app.synth();
    for (const [stack, { workingDirectory }] of Object.entries(readSynthManifest(outdir).stacks)) {
      const lock = await providersLock(join(outdir, workingDirectory), { platforms, fromRegistry });
      const target = lockFilePath(stack);
      mkdirSync(join(target, ".."), { recursive: true });
      writeFileSync(target, lock);
      process.stdout.write(`${target}: ${platforms.join(", ")}\n`);
    }
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

main().catch((error: Error) => {
  process.stderr.write(`locks:update failed: ${error.message}\n`);
  process.exit(1);
});
