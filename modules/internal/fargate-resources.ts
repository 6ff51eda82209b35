// The vCPU and memory pairs a Batch job on Fargate may ask for. Fargate offers fixed task sizes,
// so a job definition outside them is refused by AWS at apply time or leaves the job unable to
// start; warmfleet refuses it at synth time instead. Source: the ResourceRequirement `value`
// documentation of the Batch API (as shipped in @aws-sdk/client-batch's model), which lists the
// memory values allowed for each vCPU value.
import { PropValidationError, ValidationScope, isUnresolved } from "./validation";

/** Memory steps of `count` values from `first` MiB, `step` MiB apart. */
function steps(first: number, step: number, count: number): number[] {
  return Array.from({ length: count }, (_, i) => first + i * step);
}

/** Allowed memory (MiB) per vCPU value of a Fargate job. */
export const FARGATE_MEMORY_BY_VCPU: ReadonlyMap<number, readonly number[]> = new Map([
  [0.25, [512, 1024, 2048]],
  [0.5, steps(1024, 1024, 4)],
  [1, steps(2048, 1024, 7)],
  [2, steps(4096, 1024, 13)],
  [4, steps(8192, 1024, 23)],
  [8, steps(16384, 4096, 12)],
  [16, steps(32768, 8192, 12)],
  [32, [61440, 122880, 249856]],
]);

/** The vCPU values Fargate accepts, smallest first. */
export const FARGATE_VCPUS: readonly number[] = [...FARGATE_MEMORY_BY_VCPU.keys()];

/** True when Fargate runs a job of this size. */
export function isFargateSize(vcpus: number, memoryMiB: number): boolean {
  return FARGATE_MEMORY_BY_VCPU.get(vcpus)?.includes(memoryMiB) ?? false;
}

/** The vCPU values that allow this much memory (empty when no Fargate size has it). */
export function fargateVcpusForMemory(memoryMiB: number): number[] {
  return FARGATE_VCPUS.filter((vcpus) => FARGATE_MEMORY_BY_VCPU.get(vcpus)?.includes(memoryMiB));
}

/** The smallest allowed memory for `vcpus` that holds at least `memoryMiB`, if any. */
export function nextFargateMemory(vcpus: number, memoryMiB: number): number | undefined {
  return FARGATE_MEMORY_BY_VCPU.get(vcpus)?.find((allowed) => allowed >= memoryMiB);
}

/** A job size Fargate runs; the fix names the nearest size that does. Unresolved values pass. */
export function requireFargateSize(scope: ValidationScope, vcpus: number, memoryMiB: number): void {
  if (isUnresolved(vcpus) || isUnresolved(memoryMiB) || isFargateSize(vcpus, memoryMiB)) return;
  const allowedMemory = FARGATE_MEMORY_BY_VCPU.get(vcpus);
  if (allowedMemory === undefined) {
    throw new PropValidationError(scope, "vcpus", vcpus, `one of ${FARGATE_VCPUS.join(", ")} on Fargate`, "pick the Fargate vCPU value that fits the job");
  }
  const otherVcpus = fargateVcpusForMemory(memoryMiB);
  const larger = nextFargateMemory(vcpus, memoryMiB);
  const fix = [
    larger === undefined ? undefined : `use memoryMiB ${larger}`,
    otherVcpus.length > 0 ? `use vcpus ${otherVcpus.join(" or ")} for ${memoryMiB} MiB` : undefined,
  ].filter((part) => part !== undefined);
  throw new PropValidationError(
    scope,
    "memoryMiB",
    memoryMiB,
    `with ${vcpus} vCPU on Fargate: ${allowedMemory.join(", ")} MiB`,
    fix.length > 0 ? fix.join(", or ") : `use at most ${allowedMemory[allowedMemory.length - 1]} MiB`,
  );
}
