import { readFileSync } from "node:fs";
import { join } from "node:path";

/** The part of cdktf's manifest.json (written by every synth) the scripts read. */
export interface SynthManifest {
  readonly stacks: Record<string, { readonly workingDirectory: string; readonly dependencies: readonly string[] }>;
}

/** The manifest of a synth output directory such as cdktf.out. */
export function readSynthManifest(outdir: string): SynthManifest {
  return JSON.parse(readFileSync(join(outdir, "manifest.json"), "utf8")) as SynthManifest;
}
