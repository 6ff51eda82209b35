import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Construct } from "constructs";
import { LambdaFunction } from "@cdktf/provider-aws/lib/lambda-function";
import { LambdaFunctionEventInvokeConfig } from "@cdktf/provider-aws/lib/lambda-function-event-invoke-config";
import { SchedulerSchedule } from "@cdktf/provider-aws/lib/scheduler-schedule";
import { SqsQueue } from "@cdktf/provider-aws/lib/sqs-queue";
import { ReconcilableWarmup, WarmupReconciler, WarmupReconcilerProps } from "../../modules/warmup-reconciler";
import { deterministicZip } from "../../modules/internal/zip";
import { single, synth } from "../support/synth";

const bundleDir = mkdtempSync(join(tmpdir(), "reconciler-bundle-"));
const bundle = join(bundleDir, "warmup-reconciler.zip");
writeFileSync(bundle, deterministicZip({ "index.js": Buffer.from("exports.handler = async () => ({});\n") }));
afterAll(() => rmSync(bundleDir, { recursive: true, force: true }));

const warmup: ReconcilableWarmup = {
  autoScalingGroupName: "fleet",
  launchHookName: "fleet-launch",
  launchHookHeartbeatTimeoutSeconds: 600,
  functionName: "fleet-warmup",
  functionArn: "arn:aws:lambda:us-east-1:123456789012:function:fleet-warmup",
  claimsTableName: "fleet-warmup-claims",
  claimsTableArn: "arn:aws:dynamodb:us-east-1:123456789012:table/fleet-warmup-claims",
  deadLetterQueueUrl: "https://sqs.us-east-1.amazonaws.com/123456789012/fleet-warmup-dlq",
  deadLetterQueueArn: "arn:aws:sqs:us-east-1:123456789012:fleet-warmup-dlq",
  metricsNamespace: "Warmfleet/Warmup",
};

function reconciler(overrides: Partial<WarmupReconcilerProps> = {}) {
  let built: WarmupReconciler | undefined;
  const result = synth((scope: Construct) => {
    built = new WarmupReconciler(scope, "Reconciler", { warmup, bundle, ...overrides });
  });
  return { ...result, reconciler: built as WarmupReconciler };
}

function statements(json: ReturnType<typeof reconciler>["json"], id: string): Array<Record<string, unknown>> {
  const [, document] = Object.entries(json.data?.aws_iam_policy_document ?? {}).find(([key]) => key.includes(id)) ?? [];
  return (document?.statement ?? []) as Array<Record<string, unknown>>;
}

const warnings = (built: WarmupReconciler) => built.node.metadata.filter((m) => m.type === "@cdktf/warn").map((m) => String(m.data));

describe("WarmupReconciler", () => {
  const defaults = reconciler();

  test("GIVEN a warmup path WHEN synthesized THEN a function outside the VPC is configured with the group, hook, warmup function, leases and dead letters", () => {
    const fn = single(defaults.json, "aws_lambda_function");
    expect(fn.vpc_config).toBeUndefined();
    expect(defaults.text).toHaveResourceWithProperties(LambdaFunction, {
      function_name: "fleet-reconciler",
      runtime: "nodejs22.x",
      architectures: ["arm64"],
      timeout: 60,
      environment: {
        variables: expect.objectContaining({
          RECONCILER_AUTO_SCALING_GROUP_NAME: "fleet",
          RECONCILER_LIFECYCLE_HOOK_NAME: "fleet-launch",
          RECONCILER_WARMUP_FUNCTION_NAME: "fleet-warmup",
          RECONCILER_CLAIMS_TABLE: "fleet-warmup-claims",
          RECONCILER_DEAD_LETTER_QUEUE_URL: warmup.deadLetterQueueUrl,
          RECONCILER_STUCK_AFTER_SECONDS: "120",
          RECONCILER_METRICS_NAMESPACE: "Warmfleet/Warmup",
        }),
      },
    });
    expect(defaults.text).toHaveResourceWithProperties(LambdaFunctionEventInvokeConfig, { maximum_retry_attempts: 0, maximum_event_age_in_seconds: 60 });
  });

  test("GIVEN a warmup path WHEN synthesized THEN the role may describe groups and pools, read leases, invoke that function and consume that queue, nothing wider", () => {
    const runtime = statements(defaults.json, "RuntimePolicyDocument");
    expect(runtime.filter((s) => s.sid !== "Logs").map((s) => [s.actions, s.resources])).toEqual([
      [["autoscaling:DescribeAutoScalingGroups", "autoscaling:DescribeWarmPool"], ["*"]],
      [["dynamodb:GetItem", "dynamodb:UpdateItem"], [warmup.claimsTableArn]],
      [["lambda:InvokeFunction"], [warmup.functionArn]],
      [["sqs:ReceiveMessage", "sqs:DeleteMessage"], [warmup.deadLetterQueueArn]],
    ]);
  });

  test("GIVEN defaults WHEN synthesized THEN a one-minute schedule runs it with its own role, retries and dead-letter queue", () => {
    expect(defaults.text).toHaveResourceWithProperties(SchedulerSchedule, {
      name: "fleet-reconciler",
      schedule_expression: "rate(1 minute)",
      state: "ENABLED",
      flexible_time_window: { mode: "OFF" },
      target: {
        arn: expect.stringMatching(/aws_lambda_function\.Reconciler_Function_\w+\.arn/),
        role_arn: expect.stringMatching(/aws_iam_role\.Reconciler_SchedulerRole_\w+\.arn/),
        input: "{}",
        retry_policy: { maximum_retry_attempts: 2, maximum_event_age_in_seconds: 60 },
        dead_letter_config: { arn: expect.stringMatching(/aws_sqs_queue\.Reconciler_ScheduleDeadLetterQueue_\w+\.arn/) },
      },
    });
    expect(defaults.text).toHaveResourceWithProperties(SqsQueue, { name: "fleet-reconciler-schedule-dlq", sqs_managed_sse_enabled: true });
    const scheduler = statements(defaults.json, "SchedulerPolicyDocument");
    expect(scheduler.map((s) => s.actions)).toEqual([["lambda:InvokeFunction"], ["sqs:SendMessage"]]);
  });

  test("GIVEN a two-minute schedule, a longer threshold and a paused schedule WHEN synthesized THEN they are applied", () => {
    const { text } = reconciler({ scheduleMinutes: 2, stuckAfterSeconds: 300, enabled: false });
    expect(text).toHaveResourceWithProperties(SchedulerSchedule, { schedule_expression: "rate(2 minutes)", state: "DISABLED" });
    expect(text).toHaveResourceWithProperties(LambdaFunction, { environment: { variables: expect.objectContaining({ RECONCILER_STUCK_AFTER_SECONDS: "300" }) } });
  });

  test("GIVEN a threshold that the hook's heartbeat timeout beats WHEN synthesized THEN a warning says so; the defaults give none", () => {
    expect(warnings(reconciler({ stuckAfterSeconds: 560 }).reconciler)).toEqual([expect.stringMatching(/reconciled up to 620 s .* heartbeat timeout \(600 s\)/)]);
    expect(warnings(defaults.reconciler)).toEqual([]);
  });

  describe("validation", () => {
    test.each([
      ["schedule minutes", { scheduleMinutes: 0 }, /scheduleMinutes/],
      ["schedule minutes", { scheduleMinutes: 15 }, /scheduleMinutes/],
      ["threshold", { stuckAfterSeconds: 10 }, /stuckAfterSeconds/],
      ["timeout", { timeoutSeconds: 900 }, /timeoutSeconds/],
      ["memory", { memoryMb: 64 }, /memoryMb/],
      ["retries", { retryAttempts: 200 }, /retryAttempts/],
      ["log retention", { logRetentionDays: 2 }, /logRetentionDays/],
      ["bundle", { bundle: join(bundleDir, "missing.zip") }, /bundle.*npm run build/s],
      ["group name", { warmup: { ...warmup, autoScalingGroupName: "g".repeat(43) } }, /warmup\.autoScalingGroupName.*42 characters/s],
    ])("GIVEN a bad %s WHEN synthesized THEN it fails naming the prop", (_label, overrides, error) => {
      expect(() => reconciler(overrides as Partial<WarmupReconcilerProps>)).toThrow(error);
    });
  });
});
