import { Construct } from "constructs";
import { Testing } from "cdktf";

/** Synthesized Terraform JSON of the constructs `build` adds, as text (for matchers) and parsed. */
export function synth(build: (scope: Construct) => void): { text: string; json: SynthJson } {
  const text = Testing.synthScope(build);
  return { text, json: JSON.parse(text) as SynthJson };
}

export interface SynthJson {
  resource?: Record<string, Record<string, Record<string, unknown>>>;
  data?: Record<string, Record<string, Record<string, unknown>>>;
}

/** All resources of one Terraform type, keyed by logical id. */
export function resources(json: SynthJson, type: string): Record<string, Record<string, unknown>> {
  return json.resource?.[type] ?? {};
}

/** The only resource of a type; fails when there is not exactly one. */
export function single(json: SynthJson, type: string): Record<string, unknown> {
  const all = Object.values(resources(json, type));
  if (all.length !== 1) throw new Error(`expected exactly one ${type}, found ${all.length}`);
  return all[0];
}

export function count(json: SynthJson, type: string): number {
  return Object.keys(resources(json, type)).length;
}
