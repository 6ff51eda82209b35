import { StackPlan, countByType } from "../../../testing/offline-terraform";
import { examplePlan, plannedActions, plannedAll } from "../../support/example-plan";

// examples/stacks/weekly-batch-ec2.ts: the EC2 side of the batch constructs (nightly-batch is the Fargate side).
export function weeklyBatchEc2PlanTests(): void {
  describe("example stack weekly-batch-ec2: offline plan", () => {
    let plan: StackPlan;
    beforeAll(() => {
      plan = examplePlan("weekly-batch-ec2");
    });

    test("GIVEN the stack WHEN planned (Terraform validates it first) THEN it only creates", () => {
      expect(plannedActions(plan)).toEqual(new Set(["create"]));
    });

    test("GIVEN the EC2 variant WHEN planned THEN Spot C6i at 80% with AL2023 and a launch template, a fair-share queue and an EC2 job", () => {
      expect(countByType(plan.plan)).toMatchObject({ aws_batch_compute_environment: 2, aws_launch_template: 2, aws_iam_instance_profile: 2, aws_batch_scheduling_policy: 1 });
      const spot = plannedAll(plan, "aws_batch_compute_environment").find((e) => e.compute_resources[0].type === "SPOT");
      expect(spot?.compute_resources[0]).toMatchObject({
        allocation_strategy: "SPOT_PRICE_CAPACITY_OPTIMIZED",
        bid_percentage: 80,
        instance_type: ["c6i"],
        ec2_configuration: [expect.objectContaining({ image_type: "ECS_AL2023" })],
      });
      const [schedule] = plannedAll(plan, "aws_scheduler_schedule");
      expect(JSON.parse(schedule.target[0].input)).toMatchObject({ ShareIdentifier: "weekly" });
    });

    test("GIVEN the EC2 variant WHEN planned THEN each instance role gets the inline ECS agent policy and no AWS-managed policy", () => {
      expect(countByType(plan.plan).aws_iam_role_policy_attachment).toBeUndefined();
      expect(plannedAll(plan, "aws_iam_role_policy").filter((policy) => policy.name === "ecs-agent")).toHaveLength(2);
    });
  });
}
