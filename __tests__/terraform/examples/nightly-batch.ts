import { StackPlan, countByType } from "../../../testing/offline-terraform";
import { examplePlan, plannedActions, plannedAll } from "../../support/example-plan";

// examples/stacks/nightly-batch.ts, which teams copy, through terraform init and an offline plan.
export function nightlyBatchPlanTests(): void {
  describe("example stack nightly-batch: offline plan", () => {
    let plan: StackPlan;
    beforeAll(() => {
      plan = examplePlan("nightly-batch");
    });

    test("GIVEN the stack WHEN planned (Terraform validates it first) THEN it only creates", () => {
      expect(plannedActions(plan)).toEqual(new Set(["create"]));
    });

    test("GIVEN the nightly example WHEN planned THEN it holds the Batch, Scheduler and alerting resources", () => {
      expect(countByType(plan.plan)).toMatchObject({
        aws_batch_compute_environment: 2,
        aws_batch_job_queue: 1,
        aws_batch_job_definition: 1,
        aws_scheduler_schedule: 1,
        aws_sqs_queue: 1,
        aws_cloudwatch_metric_alarm: 1,
        aws_cloudwatch_event_rule: 1,
        aws_sns_topic: 1,
        aws_iam_role: 3,
        aws_security_group: 2,
      });
    });

    test("GIVEN the nightly example WHEN planned THEN Fargate Spot and Fargate environments are replaceable by name prefix", () => {
      const environments = plannedAll(plan, "aws_batch_compute_environment");
      expect(environments.map((e) => [e.compute_environment_name_prefix, e.compute_resources[0].type]).sort()).toEqual([
        ["nightly-batch-fargate-", "FARGATE"],
        ["nightly-batch-fargate-spot-", "FARGATE_SPOT"],
      ]);
      const [queue] = plannedAll(plan, "aws_batch_job_queue");
      expect(queue.compute_environment_order.map((o: { order: number }) => o.order)).toEqual([1, 2]);
      expect(queue.job_state_time_limit_action).toHaveLength(3);
    });

    test("GIVEN the nightly example WHEN planned THEN the schedule submits at 02:00 Tokyo time with plain-JSON input", () => {
      const [schedule] = plannedAll(plan, "aws_scheduler_schedule");
      expect(schedule).toMatchObject({ schedule_expression: "cron(0 2 * * ? *)", schedule_expression_timezone: "Asia/Tokyo", flexible_time_window: [{ mode: "FLEXIBLE", maximum_window_in_minutes: 15 }] });
      expect(schedule.target[0].arn).toBe("arn:aws:scheduler:::aws-sdk:batch:submitJob");
      expect(JSON.parse(schedule.target[0].input)).toEqual({
        JobName: "nightly-batch",
        JobQueue: "nightly-batch",
        JobDefinition: "nightly-batch",
        Parameters: { run_date: "<aws.scheduler.scheduled-time>" },
      });
      const [definition] = plannedAll(plan, "aws_batch_job_definition");
      expect(definition).toMatchObject({ platform_capabilities: ["FARGATE"], timeout: [{ attempt_duration_seconds: 7200 }], retry_strategy: [expect.objectContaining({ attempts: 3 })] });
    });
  });
}
