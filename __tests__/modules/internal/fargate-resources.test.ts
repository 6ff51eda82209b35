import { FARGATE_MEMORY_BY_VCPU, FARGATE_VCPUS, fargateVcpusForMemory, isFargateSize, nextFargateMemory, requireFargateSize } from "../../../modules/internal/fargate-resources";

describe("Fargate job sizes", () => {
  test("GIVEN the table WHEN read THEN it has the vCPU values of the Batch API, smallest first", () => {
    expect(FARGATE_VCPUS).toEqual([0.25, 0.5, 1, 2, 4, 8, 16, 32]);
  });

  test.each<[number, number, number, number]>([
    // vCPU, first MiB, last MiB, count
    [0.25, 512, 2048, 3],
    [0.5, 1024, 4096, 4],
    [1, 2048, 8192, 7],
    [2, 4096, 16384, 13],
    [4, 8192, 30720, 23],
    [8, 16384, 61440, 12],
    [16, 32768, 122880, 12],
  ])("GIVEN %s vCPU WHEN its memory range is read THEN it runs from %s to %s MiB in %s steps", (vcpus, first, last, count) => {
    const memory = FARGATE_MEMORY_BY_VCPU.get(vcpus) ?? [];
    expect([memory[0], memory[memory.length - 1], memory.length]).toEqual([first, last, count]);
  });

  test.each<[number, number, boolean]>([
    [0.25, 512, true],
    [0.25, 4096, false],
    [1, 2048, true],
    [1, 1024, false],
    [4, 16384, true],
    [4, 31744, false],
    [8, 18432, false],
    [16, 122880, true],
    [3, 8192, false],
  ])("GIVEN %s vCPU and %s MiB WHEN checked THEN allowed is %s", (vcpus, memory, allowed) => {
    expect(isFargateSize(vcpus, memory)).toBe(allowed);
  });

  test("GIVEN a memory value WHEN the vCPUs that allow it are asked THEN every matching vCPU value is listed", () => {
    expect(fargateVcpusForMemory(16384)).toEqual([2, 4, 8]);
    expect(fargateVcpusForMemory(1000)).toEqual([]);
  });

  test("GIVEN a vCPU value and too little memory WHEN the next size is asked THEN it is the smallest allowed one above", () => {
    expect(nextFargateMemory(1, 1000)).toBe(2048);
    expect(nextFargateMemory(4, 9000)).toBe(9216);
    expect(nextFargateMemory(0.25, 4096)).toBeUndefined();
  });

  describe("requireFargateSize", () => {
    test("GIVEN an allowed pair WHEN required THEN nothing is thrown", () => {
      expect(() => requireFargateSize("Job", 2, 4096)).not.toThrow();
    });

    test("GIVEN a vCPU value Fargate does not offer WHEN required THEN the error lists the allowed values", () => {
      expect(() => requireFargateSize("Job", 3, 8192)).toThrow(/^Job: invalid vcpus = 3\. Allowed: one of 0\.25, 0\.5, 1, 2, 4, 8, 16, 32 on Fargate/);
    });

    test("GIVEN too much memory for the vCPUs WHEN required THEN the fix names the vCPUs that allow it", () => {
      expect(() => requireFargateSize("Job", 1, 16384)).toThrow(/invalid memoryMiB = 16384\. Allowed: with 1 vCPU on Fargate: 2048, .*, 8192 MiB\. Fix: use vcpus 2 or 4 or 8 for 16384 MiB/);
    });

    test("GIVEN memory between steps WHEN required THEN the fix names the next allowed memory", () => {
      expect(() => requireFargateSize("Job", 4, 9000)).toThrow(/Fix: use memoryMiB 9216$/);
    });
  });
});
