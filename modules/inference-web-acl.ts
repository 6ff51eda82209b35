import { Construct } from "constructs";
import { Annotations } from "cdktf";
import { Wafv2WebAcl, Wafv2WebAclRule } from "@cdktf/provider-aws/lib/wafv2-web-acl";
import { Wafv2WebAclAssociation } from "@cdktf/provider-aws/lib/wafv2-web-acl-association";
import { Wafv2WebAclLoggingConfiguration } from "@cdktf/provider-aws/lib/wafv2-web-acl-logging-configuration";
import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group";
import { PropValidationError, isUnresolved, requireIntegerInRange, requireLogRetentionDays, requireResourceName } from "./internal/validation";

/** What the web ACL's rules do with a request they match. */
export enum WebAclMode {
  /** Block matching requests. */
  BLOCK = "BLOCK",
  /** Only count matching requests (metrics and logs): for a first rollout, to see what BLOCK would stop. */
  COUNT = "COUNT",
}

/**
 * Body bytes AWS WAF inspects on an ALB; this limit cannot be raised for ALBs. It is also the size
 * above which AWSManagedRulesCommonRuleSet's SizeRestrictions_BODY rule blocks a body.
 */
export const WAF_ALB_BODY_INSPECTION_LIMIT_BYTES = 8192;

/** Seconds over which a rate-based rule counts requests; AWS accepts only these. */
export const RATE_EVALUATION_WINDOWS_SECONDS: readonly number[] = [60, 120, 300, 600];

export interface InferenceWebAclProps {
  /** Name of the web ACL, its metrics and its log group (aws-waf-logs-<name>), 1 to 100 letters, digits and hyphens. */
  readonly name: string;
  /** ARN of the ALB to protect. */
  readonly loadBalancerArn: string;
  /** Block matching requests or only count them. @default WebAclMode.BLOCK */
  readonly mode?: WebAclMode;
  /** Requests one client IP may send per evaluation window before it is limited, 10 to 2000000000. @default 1000 */
  readonly rateLimit?: number;
  /** Seconds of the rate limit's window: 60, 120, 300 or 600. @default 300 */
  readonly rateEvaluationWindowSeconds?: number;
  /** Largest request body the model accepts, in bytes; larger bodies are blocked. @default 8192 */
  readonly maxRequestBodyBytes?: number;
  /** Days WAF logs are kept. @default 90 */
  readonly logRetentionDays?: number;
  /** Tags added to every resource. @default - no extra tags */
  readonly tags?: Readonly<Record<string, string>>;
}

/**
 * A regional AWS WAF web ACL on the ALB: a rate limit per client IP, a body-size rule matched to
 * the model's largest request, the AWS managed common and known-bad-inputs rule groups, and logs
 * to CloudWatch Logs with the Authorization header redacted.
 *
 * WAF sees at most the first 8 KB of an ALB request body. Up to that size the body-size rule
 * measures the body itself; above it, the rule reads the declared Content-Length instead, and the
 * common rule set's SizeRestrictions_BODY (which blocks bodies over 8 KB) is set to count.
 */
export class InferenceWebAcl extends Construct {
  /** ARN of the web ACL. */
  public readonly webAclArn: string;
  /** Name of the CloudWatch log group of the WAF logs. */
  public readonly logGroupName: string;

  constructor(scope: Construct, id: string, props: InferenceWebAclProps) {
    super(scope, id);
    validateWebAclProps(this, props);
    const tags = props.tags ?? {};
    const mode = props.mode ?? WebAclMode.BLOCK;
    const maxBody = props.maxRequestBodyBytes ?? WAF_ALB_BODY_INSPECTION_LIMIT_BYTES;
    if (mode === WebAclMode.COUNT) {
      Annotations.of(this).addWarning(
        `InferenceWebAcl ${props.name}: mode COUNT blocks nothing; switch to WebAclMode.BLOCK once the WAF logs show no false positives.`,
      );
    }

    const rules = webAclRules(props.name, mode, props.rateLimit ?? 1000, props.rateEvaluationWindowSeconds ?? 300, maxBody);
    const webAcl = new Wafv2WebAcl(this, "WebAcl", {
      name: props.name,
      description: `Rate limit, body size and AWS managed rules in front of ${props.name}`,
      scope: "REGIONAL",
      defaultAction: { allow: {} },
      rule: rules,
      visibilityConfig: visibility(props.name),
      tags,
    });
    new Wafv2WebAclAssociation(this, "Association", {
      resourceArn: props.loadBalancerArn,
      webAclArn: webAcl.arn,
    });

    // WAF delivers only to log groups whose name starts with aws-waf-logs-.
    const logGroup = new CloudwatchLogGroup(this, "LogGroup", {
      name: `aws-waf-logs-${props.name}`,
      retentionInDays: props.logRetentionDays ?? 90,
      tags,
    });
    new Wafv2WebAclLoggingConfiguration(this, "Logging", {
      resourceArn: webAcl.arn,
      logDestinationConfigs: [logGroup.arn],
      // Bearer tokens and API keys must not end up in logs that many people can read.
      redactedFields: [{ singleHeader: { name: "authorization" } }],
    });

    this.webAclArn = webAcl.arn;
    this.logGroupName = logGroup.name;
  }
}

function webAclRules(name: string, mode: WebAclMode, rateLimit: number, window: number, maxBody: number): Wafv2WebAclRule[] {
  const action = mode === WebAclMode.BLOCK ? { block: {} } : { count: {} };
  const overrideAction = mode === WebAclMode.BLOCK ? { none: {} } : { count: {} };
  const largeBodies = maxBody > WAF_ALB_BODY_INSPECTION_LIMIT_BYTES;
  return [
    {
      name: "rate-limit-per-ip",
      priority: 0,
      action,
      statement: {
        rate_based_statement: {
          limit: rateLimit,
          aggregate_key_type: "IP",
          evaluation_window_sec: window,
        },
      },
      visibilityConfig: visibility(`${name}-rate-limit-per-ip`),
    },
    {
      name: "max-request-body",
      priority: 1,
      action,
      statement: largeBodies ? contentLengthAbove(maxBody) : bodyLargerThan(maxBody),
      visibilityConfig: visibility(`${name}-max-request-body`),
    },
    managedRuleGroup(name, "AWSManagedRulesCommonRuleSet", 2, overrideAction, largeBodies ? ["SizeRestrictions_BODY"] : []),
    managedRuleGroup(name, "AWSManagedRulesKnownBadInputsRuleSet", 3, overrideAction, []),
  ];
}

/** Bodies over `bytes`; bodies over WAF's inspection limit count as over too (oversize MATCH). */
function bodyLargerThan(bytes: number): Record<string, unknown> {
  return {
    size_constraint_statement: {
      comparison_operator: "GT",
      size: bytes,
      field_to_match: { body: { oversize_handling: "MATCH" } },
      text_transformation: [{ priority: 0, type: "NONE" }],
    },
  };
}

/** A declared Content-Length over `bytes`: WAF cannot measure an ALB body past 8 KB itself. */
function contentLengthAbove(bytes: number): Record<string, unknown> {
  return {
    regex_match_statement: {
      regex_string: integerAbovePattern(bytes),
      field_to_match: { single_header: { name: "content-length" } },
      text_transformation: [{ priority: 0, type: "NONE" }],
    },
  };
}

/**
 * A regular expression that matches decimal integers greater than `n` (leading zeros allowed):
 * any number with more digits, or one that equals n's first digits and then has a larger digit.
 * Top-level alternatives only, because AWS WAF rejects capturing groups.
 */
function integerAbovePattern(n: number): string {
  const digits = String(n);
  const alternatives = [`[1-9][0-9]{${digits.length},}`];
  for (let i = 0; i < digits.length; i++) {
    const digit = Number(digits[i]);
    if (digit === 9) continue;
    const rest = digits.length - i - 1;
    alternatives.push(`${digits.slice(0, i)}[${digit + 1}-9]${rest > 0 ? `[0-9]{${rest}}` : ""}`);
  }
  return alternatives.map((alternative) => `^0*${alternative}$`).join("|");
}

function managedRuleGroup(
  aclName: string,
  group: string,
  priority: number,
  overrideAction: Wafv2WebAclRule["overrideAction"],
  rulesToCount: readonly string[],
): Wafv2WebAclRule {
  return {
    name: group,
    priority,
    overrideAction,
    statement: {
      managed_rule_group_statement: {
        vendor_name: "AWS",
        name: group,
        rule_action_override: rulesToCount.map((rule) => ({
          name: rule,
          action_to_use: { count: {} },
        })),
      },
    },
    visibilityConfig: visibility(`${aclName}-${group}`),
  };
}

function visibility(metricName: string) {
  return {
    cloudwatchMetricsEnabled: true,
    metricName,
    sampledRequestsEnabled: true,
  };
}

function validateWebAclProps(scope: Construct, props: InferenceWebAclProps): void {
  requireResourceName(scope, "name", props.name, 1, 100, 'use a short name such as "warmfleet-prod"');
  requireIntegerInRange(scope, "rateLimit", props.rateLimit, 10, 2_000_000_000, "use requests per client IP and window from 10 to 2000000000");
  const window = props.rateEvaluationWindowSeconds;
  if (window !== undefined && !isUnresolved(window) && !RATE_EVALUATION_WINDOWS_SECONDS.includes(window)) {
    throw new PropValidationError(
      scope,
      "rateEvaluationWindowSeconds",
      window,
      RATE_EVALUATION_WINDOWS_SECONDS.join(", "),
      "pick the nearest of the windows AWS WAF supports",
    );
  }
  requireIntegerInRange(scope, "maxRequestBodyBytes", props.maxRequestBodyBytes, 1, 1_000_000_000_000, "give the model's largest request body in bytes");
  requireLogRetentionDays(scope, "logRetentionDays", props.logRetentionDays);
}
