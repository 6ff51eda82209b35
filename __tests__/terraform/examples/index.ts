// One spec per example stack; __tests__/terraform/examples.test.ts plans them all at once and runs these.
import { asyncInferencePlanTests } from "./async-inference";
import { ecsFargatePlanTests } from "./ecs-fargate";
import { ecsWarmFleetPlanTests } from "./ecs-warm-fleet";
import { existingVpcHttpsPlanTests } from "./existing-vpc-https";
import { nightlyBatchPlanTests } from "./nightly-batch";
import { productionEdgePlanTests } from "./production-edge";
import { spotFleetPlanTests } from "./spot-fleet";
import { warmFleetPlanTests } from "./warm-fleet";
import { weeklyBatchEc2PlanTests } from "./weekly-batch-ec2";

/** The plan assertions of every example stack, by stack id (examples/stacks/index.ts). */
export const examplePlanTests: Readonly<Record<string, () => void>> = {
  "async-inference": asyncInferencePlanTests,
  "ecs-fargate": ecsFargatePlanTests,
  "ecs-warm-fleet": ecsWarmFleetPlanTests,
  "existing-vpc-https": existingVpcHttpsPlanTests,
  "nightly-batch": nightlyBatchPlanTests,
  "production-edge": productionEdgePlanTests,
  "spot-fleet": spotFleetPlanTests,
  "warm-fleet": warmFleetPlanTests,
  "weekly-batch-ec2": weeklyBatchEc2PlanTests,
};
