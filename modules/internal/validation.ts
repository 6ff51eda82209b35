import { IConstruct } from "constructs";
import { Token } from "cdktf";

/** Who reports a validation error: a construct (its class and path are named) or a plain label. */
export type ValidationScope = IConstruct | string;

/**
 * Thrown at synth time for a prop the construct cannot turn into working infrastructure.
 * The message always names the construct and its path, the prop, the value, what is allowed and
 * how to fix it, so two fleets in one stack are told apart.
 */
export class PropValidationError extends Error {
  constructor(scope: ValidationScope, prop: string, value: unknown, allowed: string, fix: string) {
    super(`${labelOf(scope)}: invalid ${prop} = ${describe(value)}. Allowed: ${allowed}. Fix: ${fix}`);
    this.name = "PropValidationError";
  }
}

/** "InferenceFleet (warmfleet-dev/Fleet)" for a construct, the label itself for a string. */
export function labelOf(scope: ValidationScope): string {
  if (typeof scope === "string") return scope;
  return `${scope.constructor.name} (${scope.node.path})`;
}

function describe(value: unknown): string {
  return value === undefined ? "undefined" : JSON.stringify(value);
}

/** True when the value is only known at apply time, so synth-time checks must not judge it. */
export function isUnresolved(value: unknown): boolean {
  return Token.isUnresolved(value);
}

export function requireIntegerInRange(
  scope: ValidationScope,
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

export function requireNonEmpty(scope: ValidationScope, prop: string, values: readonly string[], fix: string): void {
  if (isUnresolved(values)) return;
  if (values.length === 0) {
    throw new PropValidationError(scope, prop, values, "a list with at least one element", fix);
  }
}

/** A list known at synth time must hold at least `min` distinct entries (unresolved lists pass). */
export function requireDistinctCount(scope: ValidationScope, prop: string, values: readonly string[], min: number, allowed: string, fix: string): void {
  if (isUnresolved(values)) return;
  if (values.length < min || new Set(values).size !== values.length) {
    throw new PropValidationError(scope, prop, values, allowed, fix);
  }
}

export function requirePort(scope: ValidationScope, prop: string, port: number | undefined): void {
  requireIntegerInRange(scope, prop, port, 1, 65535, `use a TCP port number from 1 to 65535`);
}

/** A name for resources that need at least `min` characters (launch templates need 3). */
export function requireResourceName(scope: ValidationScope, prop: string, name: string, min: number, max: number, fix: string): void {
  if (isUnresolved(name)) return;
  const pattern = new RegExp(`^(?!-)[A-Za-z0-9-]{${min},${max}}(?<!-)$`);
  if (!pattern.test(name)) {
    throw new PropValidationError(scope, prop, name, `${min} to ${max} letters, digits and hyphens, not starting or ending with a hyphen`, fix);
  }
}

const IPV4_CIDR = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/;

/** The network address of an IPv4 CIDR block: its host bits cleared. */
function networkAddress(octets: number[], prefix: number): number[] {
  const address = octets.reduce((value, octet) => value * 256 + octet, 0);
  const size = 2 ** (32 - prefix);
  const network = Math.floor(address / size) * size;
  return [24, 16, 8, 0].map((shift) => Math.floor(network / 2 ** shift) % 256);
}

/**
 * An IPv4 CIDR block with a prefix in [minPrefix, maxPrefix] and no host bits set (AWS rejects
 * "10.0.5.0/16"; the fix names the block that was probably meant).
 */
export function requireIpv4Cidr(scope: ValidationScope, prop: string, cidr: string, minPrefix = 0, maxPrefix = 32): void {
  if (isUnresolved(cidr)) return;
  const match = IPV4_CIDR.exec(cidr);
  const octets = match ? match.slice(1, 5).map(Number) : [];
  const prefix = match ? Number(match[5]) : NaN;
  const allowed = `an IPv4 CIDR block a.b.c.d/n with n from ${minPrefix} to ${maxPrefix} and no host bits set`;
  if (!match || octets.some((o) => o > 255) || prefix < minPrefix || prefix > maxPrefix) {
    throw new PropValidationError(scope, prop, cidr, allowed, 'write it as "10.0.0.0/16"-style address/prefix');
  }
  const network = networkAddress(octets, prefix);
  if (network.some((octet, i) => octet !== octets[i])) {
    throw new PropValidationError(scope, prop, cidr, allowed, `use "${network.join(".")}/${prefix}" (the block that contains ${octets.join(".")})`);
  }
}

/** Every CIDR of a list, each named by its position in the message. */
export function requireIpv4Cidrs(scope: ValidationScope, prop: string, cidrs: readonly string[]): void {
  if (isUnresolved(cidrs)) return;
  cidrs.forEach((cidr, i) => requireIpv4Cidr(scope, `${prop}[${i}]`, cidr));
  const duplicate = cidrs.find((cidr, i) => cidrs.indexOf(cidr) !== i);
  if (duplicate !== undefined) {
    throw new PropValidationError(scope, prop, cidrs, "distinct CIDR blocks", `remove the second ${duplicate}`);
  }
}

/**
 * An ARN of the given service and resource type, e.g. ("acm", "certificate/"). Partition, region
 * and account are checked for shape only; unresolved values pass.
 */
export function requireArn(scope: ValidationScope, prop: string, arn: string, kinds: readonly ArnKind[], fix: string): void {
  if (isUnresolved(arn)) return;
  if (!kinds.some((kind) => arnPattern(kind).test(arn))) {
    throw new PropValidationError(scope, prop, arn, kinds.map((k) => k.example).join(" or "), fix);
  }
}

/** One accepted ARN shape: service, whether region/account appear, and the resource prefix. */
export interface ArnKind {
  readonly service: string;
  readonly regional: boolean;
  readonly withAccount: boolean;
  readonly resourcePrefix: string;
  /** Characters the resource part may use. @default - letters, digits and ._/+=,@- */
  readonly resourceCharacters?: string;
  readonly example: string;
}

function arnPattern(kind: ArnKind): RegExp {
  const region = kind.regional ? "[a-z]{2}(-[a-z]+)+-\\d" : "";
  const account = kind.withAccount ? "\\d{12}" : "";
  const prefix = kind.resourcePrefix.replace(/[/.*+?^${}()|[\]\\]/g, "\\$&");
  return new RegExp(`^arn:aws(-[a-z]+)*:${kind.service}:${region}:${account}:${prefix}${kind.resourceCharacters ?? "[A-Za-z0-9._/+=,@-]"}+$`);
}

export const ACM_CERTIFICATE: ArnKind = {
  service: "acm",
  regional: true,
  withAccount: true,
  resourcePrefix: "certificate/",
  example: "an ACM certificate ARN (arn:aws:acm:<region>:<account>:certificate/<id>)",
};
export const IAM_SERVER_CERTIFICATE: ArnKind = {
  service: "iam",
  regional: false,
  withAccount: true,
  resourcePrefix: "server-certificate/",
  example: "an IAM server certificate ARN (arn:aws:iam::<account>:server-certificate/<name>)",
};
export const KMS_KEY: ArnKind = {
  service: "kms",
  regional: true,
  withAccount: true,
  resourcePrefix: "key/",
  example: "a KMS key ARN (arn:aws:kms:<region>:<account>:key/<id>)",
};
export const S3_BUCKET: ArnKind = {
  service: "s3",
  regional: false,
  withAccount: false,
  resourcePrefix: "",
  resourceCharacters: "[a-z0-9.-]",
  example: "an S3 bucket ARN (arn:aws:s3:::<bucket>)",
};

/** Matches EC2 instance type names such as c6i.xlarge, c7gn.16xlarge, u-6tb1.metal, mac2-m2.metal. */
const INSTANCE_TYPE = /^[a-z][a-z0-9-]*[0-9][a-z0-9-]*\.(nano|micro|small|medium|large|[0-9]*xlarge|metal(-[0-9]+xl)?)$/;

export function requireInstanceType(scope: ValidationScope, prop: string, value: string): void {
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

/** Retention values CloudWatch Logs accepts, in days. */
export const LOG_RETENTION_DAYS: readonly number[] = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653];

export function requireLogRetentionDays(scope: ValidationScope, prop: string, days: number | undefined): void {
  if (days === undefined || isUnresolved(days) || LOG_RETENTION_DAYS.includes(days)) return;
  const nearest = LOG_RETENTION_DAYS.reduce((best, value) => (Math.abs(value - days) < Math.abs(best - days) ? value : best));
  throw new PropValidationError(scope, prop, days, `one of ${LOG_RETENTION_DAYS.join(", ")}`, `use ${nearest}`);
}

/** A managed prefix list id known at synth time: "pl-" and 8 or 17 hexadecimal digits. */
export function requirePrefixListId(scope: ValidationScope, prop: string, id: string): void {
  if (!isUnresolved(id) && /^pl-(?:[0-9a-f]{8}|[0-9a-f]{17})$/.test(id)) return;
  throw new PropValidationError(
    scope,
    prop,
    id,
    'a literal managed prefix list id: "pl-" followed by 8 or 17 hexadecimal digits',
    "copy the id from the VPC console's Managed prefix lists page or `aws ec2 describe-managed-prefix-lists`",
  );
}
