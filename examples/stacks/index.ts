import { Construct } from "constructs";
import { App, TerraformStack } from "cdktf";
import { AsyncInferenceStack } from "./async-inference";
import { EcsFargateStack } from "./ecs-fargate";
import { EcsWarmFleetStack } from "./ecs-warm-fleet";
import { ExistingVpcHttpsStack } from "./existing-vpc-https";
import { NightlyBatchStack } from "./nightly-batch";
import { ProductionEdgeStack } from "./production-edge";
import { SpotFleetStack } from "./spot-fleet";
import { WarmFleetStack } from "./warm-fleet";
import { WeeklyBatchEc2Stack } from "./weekly-batch-ec2";

/**
 * Every example stack, by id. The id is also its file name in this folder, so a test can tell
 * when a file here is missing from the list (and so from the offline plans).
 */
export const exampleStacks: Readonly<Record<string, new (scope: Construct, id: string) => TerraformStack>> = {
  "warm-fleet": WarmFleetStack,
  "existing-vpc-https": ExistingVpcHttpsStack,
  "spot-fleet": SpotFleetStack,
  "nightly-batch": NightlyBatchStack,
  "async-inference": AsyncInferenceStack,
  "production-edge": ProductionEdgeStack,
  "ecs-fargate": EcsFargateStack,
  "ecs-warm-fleet": EcsWarmFleetStack,
  "weekly-batch-ec2": WeeklyBatchEc2Stack,
};

export function buildExampleStacks(app: App): TerraformStack[] {
  return Object.entries(exampleStacks).map(([id, Stack]) => new Stack(app, id));
}
