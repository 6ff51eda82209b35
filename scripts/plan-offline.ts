// Plans every synthesized stack without AWS credentials: terraform init against the provider
// mirror in $WARMFLEET_PROVIDER_MIRROR, validate, and plan with every endpoint on loopback.
// Prints each stack's summary and writes them all to cdktf.out/plan-summary.md.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { startLoopbackAws } from "../testing/loopback-aws";
import { readSynthManifest } from "./lib/manifest";
import { offlinePlan } from "../testing/offline-terraform";
import { planSummaryMarkdown } from "./lib/plan-summary";

const outdir = process.env.CDKTF_OUTDIR ?? "cdktf.out";

async function main(): Promise<void> {
  const aws = await startLoopbackAws();
  const summaries: string[] = [];
  try {
    for (const [stack, { workingDirectory }] of Object.entries(readSynthManifest(outdir).stacks)) {
      const { plan } = await offlinePlan(join(outdir, workingDirectory), { endpoint: aws.url });
      const summary = planSummaryMarkdown(stack, plan);
      process.stdout.write(`${summary}\n`);
      summaries.push(summary);
    }
  } finally {
    await aws.close();
  }
  const file = join(outdir, "plan-summary.md");
  writeFileSync(file, summaries.join("\n"));
  process.stdout.write(`Summary written to ${file}\n`);
}

main().catch((error: Error) => {
  process.stderr.write(`plan:offline failed: ${error.message}\n`);
  process.exit(1);
});
