import { StackPlan, countByType, resourcesOfType } from "../../../testing/offline-terraform";
import { examplePlan, planned, plannedActions } from "../../support/example-plan";

// examples/stacks/async-inference.ts, which teams copy, through terraform init and an offline plan.
export function asyncInferencePlanTests(): void {
  describe("example stack async-inference: offline plan", () => {
    let plan: StackPlan;
    beforeAll(() => {
      plan = examplePlan("async-inference");
    });

    test("GIVEN the stack WHEN planned (Terraform validates it first) THEN it only creates", () => {
      expect(plannedActions(plan)).toEqual(new Set(["create"]));
    });

    test("GIVEN async inference WHEN planned THEN a Lambda worker capped at its reserved concurrency, Fargate workers from zero, raw SNS delivery, IAM-authenticated URLs and results with PITR and TTL", () => {
          const counts = countByType(plan.plan);
      expect(counts.aws_nat_gateway).toBeUndefined();
      expect(counts).toMatchObject({ aws_sqs_queue: 4, aws_sqs_queue_redrive_allow_policy: 2, aws_sns_topic_subscription: 2, aws_dynamodb_table: 2, aws_ecs_service: 1 });
      const mapping = planned(plan, "aws_lambda_event_source_mapping");
      expect(mapping).toMatchObject({ scaling_config: [{ maximum_concurrency: 5 }], function_response_types: ["ReportBatchItemFailures"], batch_size: 1 });
      const worker = resourcesOfType(plan.plan, "aws_lambda_function").find((r) => r.change.after?.function_name === "async-inference-fast-worker")?.change.after as Record<string, any>;
      expect(worker).toMatchObject({ reserved_concurrent_executions: 5, runtime: "python3.13", handler: "lambda_worker.handler", timeout: 60 });
      const queues = Object.fromEntries(resourcesOfType(plan.plan, "aws_sqs_queue").map((r) => [r.change.after?.name, r.change.after as Record<string, any>]));
      expect(queues["async-inference-fast"]).toMatchObject({ visibility_timeout_seconds: 360, message_retention_seconds: 345600 });
      expect(queues["async-inference-fast-dlq"]).toMatchObject({ message_retention_seconds: 1209600 });
      expect(queues["async-inference-slow"]).toMatchObject({ visibility_timeout_seconds: 3600 });
      for (const r of resourcesOfType(plan.plan, "aws_sns_topic_subscription")) expect(r.change.after).toMatchObject({ protocol: "sqs", raw_message_delivery: true });
      for (const r of resourcesOfType(plan.plan, "aws_lambda_function_url")) expect(r.change.after).toMatchObject({ authorization_type: "AWS_IAM" });
      for (const r of resourcesOfType(plan.plan, "aws_dynamodb_table")) {
        expect(r.change.after).toMatchObject({ billing_mode: "PAY_PER_REQUEST", hash_key: "requestId", point_in_time_recovery: [{ enabled: true }], ttl: [{ attribute_name: "expiresAt", enabled: true }] });
      }
      expect(planned(plan, "aws_ecs_service")).toMatchObject({ desired_count: 0, launch_type: "FARGATE", network_configuration: [expect.objectContaining({ assign_public_ip: false })] });
      expect(resourcesOfType(plan.plan, "aws_appautoscaling_policy").map((r) => r.change.after?.policy_type).sort()).toEqual(["StepScaling", "TargetTrackingScaling"]);
      // The Fargate workers' own error log lines alarm, through a metric filter on their log group.
      expect(planned(plan, "aws_cloudwatch_log_metric_filter")).toMatchObject({
        log_group_name: "/ecs/async-inference-slow-workers",
        pattern: expect.stringContaining('($.event = "processing-error")'),
        metric_transformation: [{ name: "async-inference-slow-workers-worker-errors", namespace: "Warmfleet/AsyncWorkers", value: "1" }],
      });
      const alarmNames = resourcesOfType(plan.plan, "aws_cloudwatch_metric_alarm").map((r) => r.change.after?.alarm_name);
      expect(alarmNames).toEqual(expect.arrayContaining(["async-inference-fast-worker-errors-async-inference-fast-worker", "async-inference-slow-worker-errors-async-inference-slow-workers"]));
      const endpoints = resourcesOfType(plan.plan, "aws_vpc_endpoint").map((r) => String(r.change.after?.service_name).replace(/^com\.amazonaws\.ap-northeast-1\./, ""));
      expect(endpoints.sort()).toEqual(["dynamodb", "ecr.api", "ecr.dkr", "ecs", "logs", "s3", "sns", "sqs"]);
    });
  });
}
