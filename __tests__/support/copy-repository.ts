import { execFileSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";

const REPO_ROOT = join(__dirname, "..", "..");

/**
 * A checkout of this working tree in a new temporary directory: every file git tracks or would
 * track (nothing ignored, so no dist/, cdktf.out/ or lib/), as `git clone` plus local edits would
 * leave it, and a node_modules of hard links, as `npm ci` would leave it, without the download.
 * Files are copied, not linked, so a test may edit them; node_modules must stay read-only.
 */
export function copyRepository(prefix = "warmfleet-copy-"): string {
  const copy = mkdtempSync(join(tmpdir(), prefix));
  const files = execFileSync("git", ["ls-files", "--cached", "--others", "--exclude-standard"], { cwd: REPO_ROOT }).toString().split("\n").filter(Boolean);
  for (const file of files) {
    // A file deleted in the working tree but still in the index is listed too: skip it.
    if (!existsSync(join(REPO_ROOT, file))) continue;
    mkdirSync(dirname(join(copy, file)), { recursive: true });
    cpSync(join(REPO_ROOT, file), join(copy, file));
  }
  execFileSync("cp", ["-al", join(REPO_ROOT, "node_modules"), join(copy, "node_modules")]);
  return copy;
}
