import { StackPlan, countByType } from "../../../testing/offline-terraform";
import { examplePlan, planned, plannedActions } from "../../support/example-plan";

// examples/stacks/warm-fleet.ts, which teams copy, through terraform init and an offline plan.
export function warmFleetPlanTests(): void {
  describe("example stack warm-fleet: offline plan", () => {
    let plan: StackPlan;
    beforeAll(() => {
      plan = examplePlan("warm-fleet");
    });

    test("GIVEN the stack WHEN planned (Terraform validates it first) THEN it only creates", () => {
      expect(plannedActions(plan)).toEqual(new Set(["create"]));
    });

    test("GIVEN the warm fleet WHEN planned THEN it creates a VPC, a Stopped warm pool held by the launch hook, and the warmup path", () => {
      expect(countByType(plan.plan)).toMatchObject({ aws_vpc: 1, aws_nat_gateway: 1, aws_vpc_endpoint: 4, aws_lb: 1, aws_lambda_function: 1, aws_cloudwatch_event_rule: 1 });
      const group = planned(plan, "aws_autoscaling_group");
      expect(group.warm_pool[0]).toMatchObject({ pool_state: "Stopped", min_size: 1 });
      expect(group.initial_lifecycle_hook).toEqual([expect.objectContaining({ name: "warm-fleet-launch", default_result: "ABANDON" })]);
      expect(planned(plan, "aws_lambda_function").environment[0].variables).toMatchObject({ WARMUP_AUTO_SCALING_GROUP_NAME: "warm-fleet" });
    });
  });
}
