import { join } from "node:path";
import { StackPlan, offlinePlanStacks, resourcesOfType } from "../../testing/offline-terraform";
import { startLoopbackAws } from "../../testing/loopback-aws";
import { buildExampleStacks } from "../../examples/stacks";
import { readSynthManifest } from "../../scripts/lib/manifest";
import { removeDir, synthApp } from "./terraform";

let plans: Readonly<Record<string, StackPlan>> | undefined;

/**
 * Synthesizes every example stack (examples/stacks/) into one app and plans them all offline in a
 * single Terraform run (see offlinePlanStacks): one provider start-up for all of them.
 */
export async function planAllExamples(): Promise<void> {
  const outdir = synthApp((app) => buildExampleStacks(app));
  const aws = await startLoopbackAws();
  try {
    const stacks = readSynthManifest(outdir).stacks;
    plans = await offlinePlanStacks(Object.fromEntries(Object.keys(stacks).map((id) => [id, join(outdir, stacks[id].workingDirectory)])), { endpoint: aws.url });
  } finally {
    await aws.close();
    removeDir(outdir);
  }
}

/** The offline plan of one example stack; planAllExamples must have run (a beforeAll). */
export function examplePlan(id: string): StackPlan {
  if (plans === undefined) throw new Error("planAllExamples() has not run: call it in a beforeAll of the test file");
  const plan = plans[id];
  if (plan === undefined) throw new Error(`no example stack "${id}" in examples/stacks/index.ts (planned: ${Object.keys(plans).join(", ")})`);
  return plan;
}

/** The planned values of every resource of one type. */
export function plannedAll(plan: StackPlan, type: string): Array<Record<string, any>> {
  return resourcesOfType(plan.plan, type).map((r) => r.change.after as Record<string, any>);
}

/** The planned values of the only resource of one type; fails when there is not exactly one. */
export function planned(plan: StackPlan, type: string): Record<string, any> {
  const all = plannedAll(plan, type);
  if (all.length !== 1) throw new Error(`expected exactly one ${type}, found ${all.length}`);
  return all[0];
}

/** Every managed resource's actions, e.g. ["create"]. */
export function plannedActions(plan: StackPlan): Set<string> {
  return new Set((plan.plan.resource_changes ?? []).filter((r) => r.mode === "managed").map((r) => r.change.actions.join(",")));
}
