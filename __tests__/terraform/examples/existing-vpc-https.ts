import { StackPlan, countByType } from "../../../testing/offline-terraform";
import { examplePlan, planned, plannedActions } from "../../support/example-plan";

// examples/stacks/existing-vpc-https.ts, which teams copy, through terraform init and an offline plan.
export function existingVpcHttpsPlanTests(): void {
  describe("example stack existing-vpc-https: offline plan", () => {
    let plan: StackPlan;
    beforeAll(() => {
      plan = examplePlan("existing-vpc-https");
    });

    test("GIVEN the stack WHEN planned (Terraform validates it first) THEN it only creates", () => {
      expect(plannedActions(plan)).toEqual(new Set(["create"]));
    });

    test("GIVEN an existing VPC, HTTPS and a Hibernated pool WHEN planned THEN no network is created and hibernation is configured", () => {
          const counts = countByType(plan.plan);
      expect(counts.aws_vpc).toBeUndefined();
      expect(counts.aws_lb_listener).toBe(2);
      const template = planned(plan, "aws_launch_template");
      expect(template.hibernation_options).toEqual([{ configured: true }]);
      expect(template.instance_type).toBe("c6i.8xlarge");
      const group = planned(plan, "aws_autoscaling_group");
      expect(group.vpc_zone_identifier).toEqual(["subnet-p1", "subnet-p2"]);
      expect(group.warm_pool[0].pool_state).toBe("Hibernated");
    });
  });
}
