import { loadReconcilerConfig } from "../../../lambdas/warmup-reconciler/config";

const complete = {
  RECONCILER_AUTO_SCALING_GROUP_NAME: "fleet",
  RECONCILER_LIFECYCLE_HOOK_NAME: "fleet-launch",
  RECONCILER_WARMUP_FUNCTION_NAME: "fleet-warmup",
  RECONCILER_CLAIMS_TABLE: "fleet-warmup-claims",
  RECONCILER_DEAD_LETTER_QUEUE_URL: "https://sqs.us-east-1.amazonaws.com/123456789012/fleet-warmup-dlq",
};

describe("loadReconcilerConfig", () => {
  test("GIVEN the variables WarmupReconciler writes WHEN loaded THEN the defaults fill the rest", () => {
    expect(loadReconcilerConfig(complete)).toMatchObject({ autoScalingGroupName: "fleet", stuckAfterMs: 120_000, metricsNamespace: "Warmfleet/Warmup", awsRequestTimeoutMs: 5000 });
  });

  test("GIVEN missing and out-of-range variables WHEN loaded THEN one error lists every problem", () => {
    const env = { ...complete, RECONCILER_CLAIMS_TABLE: "", RECONCILER_STUCK_AFTER_SECONDS: "-1", RECONCILER_WARMUP_FUNCTION_NAME: undefined };
    expect(() => loadReconcilerConfig(env)).toThrow(/RECONCILER_WARMUP_FUNCTION_NAME is not set\n- RECONCILER_CLAIMS_TABLE is not set\n- RECONCILER_STUCK_AFTER_SECONDS="-1" must be an integer from 0 to 7200/);
  });
});
