import { PlanJson, ResourceChange } from "../../testing/offline-terraform";
import { planSummaryMarkdown, planTotals } from "../../scripts/lib/plan-summary";

function change(address: string, actions: string[]): ResourceChange {
  const [type, name] = address.split(".");
  return { address, type, name, mode: "managed", change: { actions, after: {} } };
}

const plan: PlanJson = {
  resource_changes: [
    change("aws_vpc.main", ["create"]),
    change("aws_subnet.a", ["create"]),
    change("aws_subnet.b", ["create"]),
    change("aws_launch_template.fleet", ["update"]),
    change("aws_autoscaling_group.fleet", ["delete", "create"]),
    change("aws_lb.old", ["delete"]),
    change("aws_iam_role.same", ["no-op"]),
    { ...change("aws_region.current", ["read"]), mode: "data" },
  ],
};

describe("plan summary", () => {
  test("GIVEN a plan WHEN totalled THEN creates, updates, deletes and replacements are counted apart", () => {
    expect(planTotals(plan)).toEqual({ create: 3, update: 1, delete: 1, replace: 1 });
  });

  test("GIVEN a replacement WHEN summarized THEN it is flagged loudly by address and counted per type", () => {
    const markdown = planSummaryMarkdown("warmfleet-prod", plan);
    expect(markdown).toMatch(/^### Plan for `warmfleet-prod`: 3 to add, 1 to change, 2 to destroy/);
    expect(markdown).toContain("> [!CAUTION]\n> **1 resource(s) will be REPLACED (destroyed, then created):**\n> - `aws_autoscaling_group.fleet`");
    expect(markdown).toContain("| `aws_subnet` | 2 | 0 | 0 | 0 |");
    expect(markdown).toContain("| `aws_autoscaling_group` | 0 | 0 | 1 | 0 |");
    expect(markdown).toContain("| `aws_lb` | 0 | 0 | 0 | 1 |");
    expect(markdown).not.toContain("aws_iam_role");
    expect(markdown).not.toContain("aws_region");
  });

  test("GIVEN a plan without changes WHEN summarized THEN it says so and flags nothing", () => {
    const markdown = planSummaryMarkdown("warmfleet-dev", { resource_changes: [change("aws_vpc.main", ["no-op"])] });
    expect(markdown).toContain("0 to add, 0 to change, 0 to destroy");
    expect(markdown).toContain("No changes.");
    expect(markdown).not.toContain("CAUTION");
  });
});
