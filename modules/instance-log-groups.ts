import { Construct } from "constructs";
import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group";
import { IGrantable } from "./grants";
import { KMS_KEY, PropValidationError, isUnresolved, requireArn, requireLogRetentionDays } from "./internal/validation";

/** Names of the log groups an instance's log agent writes to, one per log file kind. */
export interface InstanceLogGroupNames {
  /** nginx access log. */
  readonly nginxAccess: string;
  /** nginx error log. */
  readonly nginxError: string;
  /** The app server's own log (uWSGI). */
  readonly server: string;
}

export interface InstanceLogGroupsProps {
  /** Prefix of the group names, e.g. "/warmfleet/prod": groups are <prefix>/nginx-access, <prefix>/nginx-error, <prefix>/server. */
  readonly namePrefix: string;
  /** Days CloudWatch Logs keeps the events. @default 30 */
  readonly retentionDays?: number;
  /** KMS key that encrypts the groups; its key policy must allow the logs.<region>.amazonaws.com principal. @default - CloudWatch Logs' own encryption */
  readonly kmsKeyArn?: string;
  /** Tags of the log groups. @default - none besides the provider's default tags */
  readonly tags?: Readonly<Record<string, string>>;
}

const GROUPS: ReadonlyArray<readonly [keyof InstanceLogGroupNames, string]> = [
  ["nginxAccess", "nginx-access"],
  ["nginxError", "nginx-error"],
  ["server", "server"],
];

/** Longest log group name CloudWatch Logs accepts. */
const MAX_NAME_LENGTH = 512;

/**
 * CloudWatch log groups for the logs of a fleet's instances (nginx access and error, the app
 * server), created by Terraform with retention so that nothing is lost when an instance is scaled
 * in. `grantWrite(fleet.instanceGrantee())` lets the instances' log agent add streams and events
 * to these groups only. The agent gets no logs:CreateLogGroup: a typo in its configuration fails
 * loudly instead of creating an unmanaged group that keeps events forever. The names are
 * references, so a bootstrap that embeds them makes instances launch only after the groups exist.
 */
export class InstanceLogGroups extends Construct {
  /** The groups' names, for the bootstrap's log agent configuration. */
  public readonly names: InstanceLogGroupNames;
  /** The groups' ARNs (without the ":*" suffix), in the order nginx access, nginx error, server. */
  public readonly logGroupArns: readonly string[];

  constructor(scope: Construct, id: string, props: InstanceLogGroupsProps) {
    super(scope, id);
    validate(this, props);
    const groups = GROUPS.map(
      ([key, suffix]) =>
        [
          key,
          new CloudwatchLogGroup(this, suffix, {
            name: `${props.namePrefix}/${suffix}`,
            retentionInDays: props.retentionDays ?? 30,
            kmsKeyId: props.kmsKeyArn,
            tags: props.tags ? { ...props.tags } : undefined,
          }),
        ] as const,
    );
    this.names = Object.fromEntries(groups.map(([key, group]) => [key, group.name])) as unknown as InstanceLogGroupNames;
    this.logGroupArns = groups.map(([, group]) => group.arn);
  }

  /** Lets `grantee` (the instances' role) create streams in these groups and put events into them. */
  public grantWrite(grantee: IGrantable): void {
    grantee.addToRolePolicy({
      actions: ["logs:CreateLogStream", "logs:PutLogEvents"],
      resources: this.logGroupArns.map((arn) => `${arn}:*`),
    });
  }
}

function validate(scope: Construct, props: InstanceLogGroupsProps): void {
  const prefix = props.namePrefix;
  if (!isUnresolved(prefix)) {
    const longestSuffix = Math.max(...GROUPS.map(([, suffix]) => suffix.length + 1));
    if (!/^[A-Za-z0-9_\-/.#]+$/.test(prefix) || prefix.endsWith("/") || prefix.length + longestSuffix > MAX_NAME_LENGTH) {
      throw new PropValidationError(
        scope,
        "namePrefix",
        prefix,
        `letters, digits and _-/.#, no trailing /, at most ${MAX_NAME_LENGTH - longestSuffix} characters`,
        'use a path such as "/warmfleet/prod"',
      );
    }
  }
  requireLogRetentionDays(scope, "retentionDays", props.retentionDays);
  if (props.kmsKeyArn !== undefined) {
    requireArn(scope, "kmsKeyArn", props.kmsKeyArn, [KMS_KEY], "pass the key ARN (not an alias or key id)");
  }
}
