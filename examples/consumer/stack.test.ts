// Types of the cdktf matchers; jest.setup.ts registers them with Testing.setupJest().
import "cdktf/lib/testing/adapters/jest";
import { Testing } from "cdktf";
import { AutoscalingGroup } from "@cdktf/provider-aws/lib/autoscaling-group";
import { LambdaFunction } from "@cdktf/provider-aws/lib/lambda-function";
import { ModelStack } from "./stack";

describe("ModelStack", () => {
  const synth = Testing.synth(new ModelStack(Testing.app(), "models"));

  test("GIVEN the stack WHEN synthesized THEN the group keeps a stopped warm pool and holds new instances for warmup", () => {
    expect(synth).toHaveResourceWithProperties(AutoscalingGroup, {
      name: "models",
      warm_pool: expect.objectContaining({ pool_state: "Stopped", min_size: 1 }),
      initial_lifecycle_hook: [expect.objectContaining({ lifecycle_transition: "autoscaling:EC2_INSTANCE_LAUNCHING" })],
    });
  });

  test("GIVEN the stack WHEN synthesized THEN the warmup function calls the inference path", () => {
    expect(synth).toHaveResourceWithProperties(LambdaFunction, {
      environment: { variables: expect.objectContaining({ WARMUP_PATH: "/predict" }) },
    });
  });
});
