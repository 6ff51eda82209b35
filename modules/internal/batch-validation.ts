// Synth-time checks shared by the Batch constructs: the names AWS Batch accepts, the patterns of
// a retry strategy's evaluate_on_exit conditions, and CloudWatch log retention values.
import { PropValidationError, ValidationScope, isUnresolved } from "./validation";

/**
 * A Batch or Scheduler name: letters, digits, hyphens and underscores, starting with a letter or
 * digit, at most `max` characters (lower than AWS's own limits where the name also prefixes IAM
 * roles, whose names stop at 64).
 */
export function requireBatchName(scope: ValidationScope, prop: string, name: string, max: number): void {
  if (isUnresolved(name)) return;
  if (!new RegExp(`^[A-Za-z0-9][A-Za-z0-9_-]{0,${max - 1}}$`).test(name)) {
    throw new PropValidationError(
      scope,
      prop,
      name,
      `1 to ${max} letters, digits, hyphens and underscores, starting with a letter or digit`,
      `use a name such as "nightly-recommendations"${name.length > max ? ` (at most ${max} characters)` : ""}`,
    );
  }
}

/** The three conditions of an evaluate_on_exit entry, as Batch names them. */
export type RetryCondition = "onExitCode" | "onReason" | "onStatusReason";

// From the EvaluateOnExit API reference: up to 512 characters, an optional trailing * only.
const EXIT_CODE_PATTERN = /^(\d{1,511}\*?|\*)$/;
const REASON_PATTERN = /^[A-Za-z0-9.: \t]{0,511}\*?$/;

/** A glob pattern of a retry condition; unresolved values pass. */
export function requireRetryPattern(scope: ValidationScope, prop: string, condition: RetryCondition, pattern: string): void {
  if (isUnresolved(pattern)) return;
  const valid = pattern.length > 0 && (condition === "onExitCode" ? EXIT_CODE_PATTERN : REASON_PATTERN).test(pattern);
  if (valid) return;
  const allowed =
    condition === "onExitCode"
      ? "up to 512 digits, optionally ending with * (e.g. \"137\" or \"1*\")"
      : "up to 512 letters, digits, periods, colons and spaces, optionally ending with * (e.g. \"Host EC2*\")";
  throw new PropValidationError(scope, prop, pattern, allowed, "a * is only allowed at the end: match the start of the message and end it with *");
}

/** True when a pattern matches every value: the catch-all a retry strategy should end with. */
export function isCatchAll(pattern: string | undefined): boolean {
  return pattern === "*";
}

