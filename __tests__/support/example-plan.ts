import { OfflinePlan, resourcesOfType } from "../../testing/offline-terraform";
import { exampleStacks } from "../../examples/stacks";
import { planStack, removeDir, synthApp } from "./terraform";

/** Synthesizes one example stack (examples/stacks/<id>.ts) on its own and plans it offline. */
export async function planExample(id: string): Promise<OfflinePlan> {
  const Stack = exampleStacks[id];
  if (!Stack) throw new Error(`no example stack "${id}" in examples/stacks/index.ts`);
  const outdir = synthApp((app) => new Stack(app, id));
  try {
    return await planStack(outdir, id);
  } finally {
    removeDir(outdir);
  }
}

/** The planned values of every resource of one type. */
export function plannedAll(plan: OfflinePlan, type: string): Array<Record<string, any>> {
  return resourcesOfType(plan.plan, type).map((r) => r.change.after as Record<string, any>);
}

/** The planned values of the only resource of one type; fails when there is not exactly one. */
export function planned(plan: OfflinePlan, type: string): Record<string, any> {
  const all = plannedAll(plan, type);
  if (all.length !== 1) throw new Error(`expected exactly one ${type}, found ${all.length}`);
  return all[0];
}

/** Every managed resource's actions, e.g. ["create"]. */
export function plannedActions(plan: OfflinePlan): Set<string> {
  return new Set((plan.plan.resource_changes ?? []).filter((r) => r.mode === "managed").map((r) => r.change.actions.join(",")));
}
