// Capacity provider strategies, shared by the cluster's default strategy and the services' own.
import { IConstruct } from "constructs";
import type { CapacityProviderStrategyItem } from "../inference-cluster";
import { PropValidationError, requireIntegerInRange } from "./validation";

/** The providers AWS runs for every cluster (InferenceCluster's FargateCapacityProvider values). */
export const FARGATE_PROVIDERS: readonly string[] = ["FARGATE", "FARGATE_SPOT"];

/** AWS rejects a strategy that mixes Fargate and EC2 providers, names one twice, or sets base twice. */
export function validateStrategy(scope: IConstruct, strategy: readonly CapacityProviderStrategyItem[], prop = "defaultCapacityProviderStrategy"): void {
  // A reference (an EC2 provider's name) is never one of the Fargate literals.
  const names = strategy.map((item) => item.capacityProvider);
  const fargate = names.filter((name) => FARGATE_PROVIDERS.includes(name));
  if (fargate.length > 0 && fargate.length < names.length) {
    throw new PropValidationError(scope, prop, names, "either Fargate providers (FARGATE, FARGATE_SPOT) or EC2 capacity providers, not both", "split the services: one strategy per kind of capacity");
  }
  if (new Set(names).size !== names.length) {
    throw new PropValidationError(scope, prop, names, "each capacity provider once", "merge the duplicate entries");
  }
  if (strategy.filter((item) => (item.base ?? 0) > 0).length > 1) {
    throw new PropValidationError(scope, `${prop}[].base`, strategy.map((item) => item.base ?? 0), "a base on one entry only", "keep the base on the provider that must always run tasks");
  }
  strategy.forEach((item, i) => {
    requireIntegerInRange(scope, `${prop}[${i}].weight`, item.weight, 0, 1000, "use 0 to 1000");
    requireIntegerInRange(scope, `${prop}[${i}].base`, item.base, 0, 100000, "use 0 to 100000");
  });
  if (strategy.length > 0 && strategy.every((item) => item.weight === 0)) {
    throw new PropValidationError(scope, prop, strategy, "at least one entry with a weight above 0", "give the main provider weight 1");
  }
}
