import { StackPlan, countByType } from "../../../testing/offline-terraform";
import { examplePlan, planned, plannedActions, plannedAll } from "../../support/example-plan";

// examples/stacks/ecs-fargate.ts, which teams copy, through terraform init and an offline plan.
export function ecsFargatePlanTests(): void {
  describe("example stack ecs-fargate: offline plan", () => {
    let plan: StackPlan;
    beforeAll(() => {
      plan = examplePlan("ecs-fargate");
    });

    test("GIVEN the stack WHEN planned (Terraform validates it first) THEN it only creates", () => {
      expect(plannedActions(plan)).toEqual(new Set(["create"]));
    });

    test("GIVEN the Fargate service WHEN planned THEN IP targets behind the internal ALB, models on EFS over TLS and IAM, a FireLens router, exec, rollback and its events to an encrypted topic", () => {
      const counts = countByType(plan.plan);
      expect(counts.aws_nat_gateway).toBeUndefined();
      expect(counts).toMatchObject({ aws_ecs_service: 1, aws_efs_mount_target: 2, aws_efs_access_point: 1, aws_lb_listener_rule: 1, aws_appautoscaling_scheduled_action: 2, aws_cloudwatch_event_target: 1 });
      expect(planned(plan, "aws_lb")).toMatchObject({ internal: true });
      const service = planned(plan, "aws_ecs_service");
      expect(service).toMatchObject({
        enable_execute_command: true,
        deployment_circuit_breaker: [{ enable: true, rollback: true }],
        health_check_grace_period_seconds: 240,
        network_configuration: [expect.objectContaining({ assign_public_ip: false })],
        load_balancer: [expect.objectContaining({ container_name: "app", container_port: 8080 })],
      });
      const task = planned(plan, "aws_ecs_task_definition");
      expect(task.volume).toEqual([expect.objectContaining({ name: "models", efs_volume_configuration: [expect.objectContaining({ transit_encryption: "ENABLED", root_directory: "/" })] })]);
      const containers = JSON.parse(task.container_definitions) as Array<Record<string, any>>;
      expect(containers.map((c) => c.name)).toEqual(["app", "log-router"]);
      expect(containers[0]).toMatchObject({ logConfiguration: { logDriver: "awsfirelens" }, mountPoints: [{ containerPath: "/models", readOnly: true, sourceVolume: "models" }], linuxParameters: { initProcessEnabled: true } });
      // Quotes in the health check survive the HCL rendering of jsonencode (escapedForJsonencode).
      expect(containers[0].healthCheck.command).toEqual(["CMD-SHELL", expect.stringMatching(/^python3 -c "import urllib\.request; .*" \|\| exit 1$/)]);
      expect(containers[1].firelensConfiguration).toMatchObject({ type: "fluentbit", options: { "config-file-type": "file", "config-file-value": "/fluent-bit/etc/extra.conf" } });
      expect(planned(plan, "aws_efs_file_system")).toMatchObject({ encrypted: true, throughput_mode: "elastic" });
      expect(plannedAll(plan, "aws_lb_target_group").map((g) => g.target_type).sort()).toEqual(["instance", "ip"]);
      // The rule's pattern names the service ARN, known only after apply; the topic is under its own key.
      expect(planned(plan, "aws_cloudwatch_event_rule")).toMatchObject({ name: "ecs-fargate-service-events" });
      expect(planned(plan, "aws_kms_key")).toMatchObject({ enable_key_rotation: true });
      const endpoints = plannedAll(plan, "aws_vpc_endpoint").map((e) => String(e.service_name).replace(/^com\.amazonaws\.ap-northeast-1\./, ""));
      expect(endpoints.sort()).toEqual(["dynamodb", "ecr.api", "ecr.dkr", "logs", "s3", "ssmmessages"]);
    });
  });
}
