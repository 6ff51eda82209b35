import { copyFileSync, existsSync } from "node:fs";
import { join } from "node:path";
import { Annotations, IStackSynthesizer, ISynthesisSession, TerraformStack } from "cdktf";

/** Where the committed provider lock file of a stack lives: cdktf.out is regenerated, this is not. */
export function lockFilePath(stackName: string): string {
  return join(__dirname, "..", "terraform-locks", `${stackName}.terraform.lock.hcl`);
}

/**
 * Gives the stack its committed lock file on every synth, and a synth warning while it has none:
 * without one, `terraform init` trusts whichever provider build it downloads.
 */
export function useCommittedLockFile(stack: TerraformStack, stackName: string): void {
  const lockFile = lockFilePath(stackName);
  stack.synthesizer = new LockFileSynthesizer(stack.synthesizer, stack, lockFile);
  if (!existsSync(lockFile)) {
    Annotations.of(stack).addWarning(
      `${stackName} has no committed provider lock file (terraform-locks/${stackName}.terraform.lock.hcl): run \`npm run locks:update\` and commit it.`,
    );
  }
}

/**
 * Synthesizes a stack as usual, then puts the stack's committed .terraform.lock.hcl beside its
 * cdk.tf.json (or cdk.tf), so every `terraform init` (cdktf deploy, Atlantis, the tests) checks
 * the provider against the hashes under review instead of trusting whatever it downloads.
 */
export class LockFileSynthesizer implements IStackSynthesizer {
  constructor(
    private readonly inner: IStackSynthesizer,
    private readonly stack: TerraformStack,
    private readonly lockFile: string,
  ) {}

  synthesize(session: ISynthesisSession): void {
    this.inner.synthesize(session);
    if (!existsSync(this.lockFile)) return;
    const workingDirectory = session.manifest.forStack(this.stack).workingDirectory;
    copyFileSync(this.lockFile, join(session.outdir, workingDirectory, ".terraform.lock.hcl"));
  }
}
