import { Token } from "cdktf";

/**
 * Thrown at synth time for a prop the construct cannot turn into working infrastructure.
 * The message always names the prop, the value, what is allowed and how to fix it.
 */
export class PropValidationError extends Error {
  constructor(scope: string, prop: string, value: unknown, allowed: string, fix: string) {
    super(`${scope}: invalid ${prop} = ${describe(value)}. Allowed: ${allowed}. Fix: ${fix}`);
    this.name = "PropValidationError";
  }
}

function describe(value: unknown): string {
  return value === undefined ? "undefined" : JSON.stringify(value);
}

/** True when the value is only known at apply time, so synth-time checks must not judge it. */
export function isUnresolved(value: unknown): boolean {
  return Token.isUnresolved(value);
}

export function requireIntegerInRange(
  scope: string,
  prop: string,
  value: number | undefined,
  min: number,
  max: number,
  fix: string,
): void {
  if (value === undefined || isUnresolved(value)) return;
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new PropValidationError(scope, prop, value, `an integer from ${min} to ${max}`, fix);
  }
}

export function requireNonEmpty(scope: string, prop: string, values: readonly string[], fix: string): void {
  if (isUnresolved(values)) return;
  if (values.length === 0) {
    throw new PropValidationError(scope, prop, values, "a list with at least one element", fix);
  }
}

export function requirePort(scope: string, prop: string, port: number | undefined): void {
  requireIntegerInRange(scope, prop, port, 1, 65535, `use a TCP port number from 1 to 65535`);
}

/** Matches EC2 instance type names such as c6i.xlarge, c7gn.16xlarge, u-6tb1.metal, mac2-m2.metal. */
const INSTANCE_TYPE = /^[a-z][a-z0-9-]*[0-9][a-z0-9-]*\.(nano|micro|small|medium|large|[0-9]*xlarge|metal(-[0-9]+xl)?)$/;

export function requireInstanceType(scope: string, prop: string, value: string): void {
  if (isUnresolved(value)) return;
  if (!INSTANCE_TYPE.test(value)) {
    throw new PropValidationError(
      scope,
      prop,
      value,
      "an EC2 instance type name of the form <family><generation>[attributes].<size>, such as c6i.xlarge or c7i.8xlarge",
      "use the API name shown by `aws ec2 describe-instance-types`, for example c6i.xlarge",
    );
  }
}
