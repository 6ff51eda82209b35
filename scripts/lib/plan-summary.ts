import { PlanJson, ResourceChange } from "../../testing/offline-terraform";

type Kind = "create" | "update" | "delete" | "replace" | "read" | "no-op";

function kindOf(change: ResourceChange): Kind {
  const actions = change.change.actions;
  if (actions.includes("create") && actions.includes("delete")) return "replace";
  if (actions.includes("create")) return "create";
  if (actions.includes("delete")) return "delete";
  if (actions.includes("update")) return "update";
  if (actions.includes("read")) return "read";
  return "no-op";
}

export interface PlanTotals {
  readonly create: number;
  readonly update: number;
  readonly delete: number;
  readonly replace: number;
}

export function planTotals(plan: PlanJson): PlanTotals {
  const totals = { create: 0, update: 0, delete: 0, replace: 0 };
  for (const change of managed(plan)) {
    const kind = kindOf(change);
    if (kind in totals) totals[kind as keyof PlanTotals] += 1;
  }
  return totals;
}

function managed(plan: PlanJson): ResourceChange[] {
  return (plan.resource_changes ?? []).filter((r) => r.mode === "managed");
}

/**
 * A short Markdown summary of one stack's plan for a pull-request comment: totals, a table of
 * adds/changes/destroys per resource type, and every replacement listed by address, loudly,
 * because a replaced Auto Scaling group or load balancer is an outage.
 */
export function planSummaryMarkdown(stack: string, plan: PlanJson): string {
  const totals = planTotals(plan);
  const byType = new Map<string, Record<Kind, number>>();
  for (const change of managed(plan)) {
    const row = byType.get(change.type) ?? { create: 0, update: 0, delete: 0, replace: 0, read: 0, "no-op": 0 };
    row[kindOf(change)] += 1;
    byType.set(change.type, row);
  }
  const changed = [...byType.entries()].filter(([, r]) => r.create + r.update + r.delete + r.replace > 0).sort(([a], [b]) => a.localeCompare(b));
  const replacements = managed(plan).filter((c) => kindOf(c) === "replace");
  const lines = [
    `### Plan for \`${stack}\`: ${totals.create} to add, ${totals.update} to change, ${totals.delete + totals.replace} to destroy`,
    "",
  ];
  if (replacements.length > 0) {
    lines.push(`> [!CAUTION]`, `> **${replacements.length} resource(s) will be REPLACED (destroyed, then created):**`);
    for (const r of replacements) lines.push(`> - \`${r.address}\``);
    lines.push("");
  }
  if (changed.length === 0) {
    lines.push("No changes.");
  } else {
    lines.push("| resource type | add | change | replace | destroy |", "| --- | ---: | ---: | ---: | ---: |");
    for (const [type, r] of changed) lines.push(`| \`${type}\` | ${r.create} | ${r.update} | ${r.replace} | ${r.delete} |`);
  }
  return `${lines.join("\n")}\n`;
}
