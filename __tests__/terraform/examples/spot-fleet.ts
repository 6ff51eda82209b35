import { StackPlan, countByType } from "../../../testing/offline-terraform";
import { examplePlan, planned, plannedActions } from "../../support/example-plan";

// examples/stacks/spot-fleet.ts, which teams copy, through terraform init and an offline plan.
export function spotFleetPlanTests(): void {
  describe("example stack spot-fleet: offline plan", () => {
    let plan: StackPlan;
    beforeAll(() => {
      plan = examplePlan("spot-fleet");
    });

    test("GIVEN the stack WHEN planned (Terraform validates it first) THEN it only creates", () => {
      expect(plannedActions(plan)).toEqual(new Set(["create"]));
    });

    test("GIVEN a Spot fleet over three AZs WHEN planned THEN a mixed instances policy, capacity rebalance, three NAT gateways and an internal ALB", () => {
      expect(countByType(plan.plan)).toMatchObject({ aws_nat_gateway: 3, aws_subnet: 6, aws_autoscaling_policy: 1 });
      const group = planned(plan, "aws_autoscaling_group");
      expect(group.capacity_rebalance).toBe(true);
      expect(group.warm_pool).toEqual([]);
      expect(group.mixed_instances_policy[0].launch_template[0].override.map((o: { instance_type: string }) => o.instance_type)).toEqual([
        "c6i.xlarge",
        "c6a.xlarge",
        "c7i.xlarge",
      ]);
      expect(planned(plan, "aws_lb")).toMatchObject({ internal: true });
    });
  });
}
