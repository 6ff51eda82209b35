import { isCatchAll, requireBatchName, requireRetryPattern } from "../../../modules/internal/batch-validation";
import { requireLogRetentionDays } from "../../../modules/internal/validation";

describe("Batch validation helpers", () => {
  test.each(["nightly", "nightly-batch_v2", "0start", "a".repeat(50)])("GIVEN the name %s WHEN required with max 50 THEN it passes", (name) => {
    expect(() => requireBatchName("Q", "name", name, 50)).not.toThrow();
  });

  test.each(["-lead", "_lead", "has space", "dot.name", "", "a".repeat(51)])("GIVEN the name %j WHEN required with max 50 THEN it is refused", (name) => {
    expect(() => requireBatchName("Q", "name", name, 50)).toThrow(/^Q: invalid name = .*Allowed: 1 to 50 letters, digits, hyphens and underscores/);
  });

  test("GIVEN a name over the limit WHEN refused THEN the fix says how long it may be", () => {
    expect(() => requireBatchName("Q", "name", "a".repeat(51), 50)).toThrow(/\(at most 50 characters\)$/);
  });

  test.each<[ "onExitCode" | "onReason" | "onStatusReason", string]>([
    ["onExitCode", "137"],
    ["onExitCode", "1*"],
    ["onExitCode", "*"],
    ["onReason", "CannotPullContainerError:*"],
    ["onStatusReason", "Host EC2*"],
    ["onStatusReason", "Your Spot Task was interrupted*"],
    ["onReason", "*"],
  ])("GIVEN %s %j WHEN required THEN it passes", (condition, pattern) => {
    expect(() => requireRetryPattern("J", "rule", condition, pattern)).not.toThrow();
  });

  test.each<[ "onExitCode" | "onReason" | "onStatusReason", string, RegExp]>([
    ["onExitCode", "1*3", /up to 512 digits/],
    ["onExitCode", "abc", /up to 512 digits/],
    ["onReason", "*Error", /a \* is only allowed at the end/],
    ["onStatusReason", "Host (EC2)*", /letters, digits, periods, colons and spaces/],
    ["onReason", "", /letters, digits/],
    ["onReason", "x".repeat(513), /up to 512/],
  ])("GIVEN %s %j WHEN required THEN it is refused", (condition, pattern, message) => {
    expect(() => requireRetryPattern("J", "rule", condition, pattern)).toThrow(message);
  });

  test("GIVEN patterns WHEN asked for a catch-all THEN only * is one", () => {
    expect([isCatchAll("*"), isCatchAll("Host*"), isCatchAll(undefined)]).toEqual([true, false, false]);
  });

  test("GIVEN a retention CloudWatch does not offer WHEN required THEN the fix names the nearest allowed value", () => {
    expect(() => requireLogRetentionDays("J", "logRetentionDays", 31)).toThrow(/invalid logRetentionDays = 31\. Allowed: one of 1, 3, .*Fix: use 30$/);
    expect(() => requireLogRetentionDays("J", "logRetentionDays", 14)).not.toThrow();
    expect(() => requireLogRetentionDays("J", "logRetentionDays", undefined)).not.toThrow();
  });
});
