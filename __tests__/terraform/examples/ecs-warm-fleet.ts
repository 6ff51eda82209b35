import { StackPlan, countByType } from "../../../testing/offline-terraform";
import { examplePlan, planned, plannedActions } from "../../support/example-plan";

// examples/stacks/ecs-warm-fleet.ts, which teams copy, through terraform init and an offline plan.
export function ecsWarmFleetPlanTests(): void {
  describe("example stack ecs-warm-fleet: offline plan", () => {
    let plan: StackPlan;
    beforeAll(() => {
      plan = examplePlan("ecs-warm-fleet");
    });

    test("GIVEN the stack WHEN planned (Terraform validates it first) THEN it only creates", () => {
      expect(plannedActions(plan)).toEqual(new Set(["create"]));
    });

    test("GIVEN the warm fleet as ECS capacity WHEN planned THEN ECS-optimized hosts with a Stopped pool back a managed capacity provider the service runs on, and the hook waits for their agent", () => {
      expect(countByType(plan.plan)).toMatchObject({ aws_ecs_cluster: 1, aws_ecs_capacity_provider: 1, aws_ecs_service: 1, aws_lambda_function: 1, aws_vpc_endpoint: 5 });
      const group = planned(plan, "aws_autoscaling_group");
      expect(group).toMatchObject({ protect_from_scale_in: true, health_check_type: "EC2" });
      expect(group.warm_pool[0]).toMatchObject({ pool_state: "Stopped", min_size: 1, instance_reuse_policy: [{ reuse_on_scale_in: false }] });
      expect(group.tag).toContainEqual({ key: "AmazonECSManaged", value: "true", propagate_at_launch: true });
      const template = planned(plan, "aws_launch_template");
      expect(template.image_id).toBe("resolve:ssm:/aws/service/ecs/optimized-ami/amazon-linux-2023/recommended/image_id");
      expect(Buffer.from(template.user_data, "base64").toString("utf8")).toContain("ECS_CLUSTER=ecs-warm-fleet\nECS_WARM_POOLS_CHECK=true\n");
      expect(planned(plan, "aws_ecs_capacity_provider").auto_scaling_group_provider[0]).toMatchObject({
        managed_termination_protection: "ENABLED",
        managed_draining: "ENABLED",
        managed_scaling: [expect.objectContaining({ status: "ENABLED", target_capacity: 100, instance_warmup_period: 120 })],
      });
      expect(planned(plan, "aws_ecs_cluster_capacity_providers").capacity_providers).toEqual(["FARGATE", "FARGATE_SPOT", "hosts-ecs-warm-fleet"]);
      expect(planned(plan, "aws_ecs_service").capacity_provider_strategy).toEqual([expect.objectContaining({ capacity_provider: "hosts-ecs-warm-fleet", weight: 1 })]);
      expect(planned(plan, "aws_lambda_function").environment[0].variables).toMatchObject({ WARMUP_MODE: "ECS_HOST", WARMUP_ECS_CLUSTER: "ecs-warm-fleet" });
    });
  });
}
