import { Wafv2WebAclAssociation } from "@cdktf/provider-aws/lib/wafv2-web-acl-association";
import { Wafv2WebAclLoggingConfiguration } from "@cdktf/provider-aws/lib/wafv2-web-acl-logging-configuration";
import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group";
import { InferenceWebAcl, InferenceWebAclProps, WebAclMode } from "../../modules/inference-web-acl";
import { single, synth } from "../support/synth";
import { warningsOf } from "../support/async";

const base: InferenceWebAclProps = {
  name: "warmfleet-prod",
  loadBalancerArn: "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/prod/abc",
};

interface Rule {
  name: string;
  priority: number;
  action?: Record<string, unknown>;
  override_action?: Record<string, unknown>;
  statement: Record<string, Record<string, unknown>>;
}

function webAcl(overrides: Partial<InferenceWebAclProps> = {}) {
  let construct: InferenceWebAcl | undefined;
  const out = synth((scope) => {
    construct = new InferenceWebAcl(scope, "WebAcl", { ...base, ...overrides });
  });
  const acl = single(out.json, "aws_wafv2_web_acl");
  const rules = new Map((acl.rule as Rule[]).map((rule) => [rule.name, rule]));
  return { ...out, acl, rules, construct: construct as InferenceWebAcl };
}

function rule(rules: Map<string, Rule>, name: string): Rule {
  const found = rules.get(name);
  if (!found) throw new Error(`no rule ${name}`);
  return found;
}

describe("InferenceWebAcl", () => {
  describe("GIVEN defaults", () => {
    const { text, acl, rules, construct } = webAcl();

    test("WHEN synthesized THEN a regional ACL allows by default and is associated with the ALB", () => {
      expect(acl).toMatchObject({
        name: "warmfleet-prod",
        scope: "REGIONAL",
        default_action: { allow: {} },
      });
      expect(text).toHaveResourceWithProperties(Wafv2WebAclAssociation, {
        resource_arn: base.loadBalancerArn,
      });
      expect(warningsOf(construct)).toEqual([]);
    });

    test("WHEN synthesized THEN the rules block: rate per IP, body size, then the two managed groups", () => {
      expect([...rules.values()].map((r) => [r.priority, r.name])).toEqual([
        [0, "rate-limit-per-ip"],
        [1, "max-request-body"],
        [2, "AWSManagedRulesCommonRuleSet"],
        [3, "AWSManagedRulesKnownBadInputsRuleSet"],
      ]);
      expect(rule(rules, "rate-limit-per-ip")).toMatchObject({
        action: { block: {} },
        statement: {
          rate_based_statement: {
            limit: 1000,
            aggregate_key_type: "IP",
            evaluation_window_sec: 300,
          },
        },
      });
      expect(rule(rules, "AWSManagedRulesCommonRuleSet")).toMatchObject({
        override_action: { none: {} },
        statement: {
          managed_rule_group_statement: {
            vendor_name: "AWS",
            name: "AWSManagedRulesCommonRuleSet",
            rule_action_override: [],
          },
        },
      });
      expect(rule(rules, "AWSManagedRulesKnownBadInputsRuleSet").statement.managed_rule_group_statement.name).toBe("AWSManagedRulesKnownBadInputsRuleSet");
    });

    test("WHEN synthesized THEN bodies over 8 KB are blocked by measuring the body, oversize bodies included", () => {
      expect(rule(rules, "max-request-body").statement).toEqual({
        size_constraint_statement: {
          comparison_operator: "GT",
          size: 8192,
          field_to_match: { body: { oversize_handling: "MATCH" } },
          text_transformation: [{ priority: 0, type: "NONE" }],
        },
      });
    });

    test("WHEN synthesized THEN logs go to an aws-waf-logs- group with retention and the Authorization header redacted", () => {
      expect(text).toHaveResourceWithProperties(CloudwatchLogGroup, {
        name: "aws-waf-logs-warmfleet-prod",
        retention_in_days: 90,
      });
      expect(text).toHaveResourceWithProperties(Wafv2WebAclLoggingConfiguration, { redacted_fields: [{ single_header: { name: "authorization" } }] });
    });
  });

  test("GIVEN COUNT mode WHEN synthesized THEN every rule only counts, and a warning says so", () => {
    const { rules, construct } = webAcl({
      mode: WebAclMode.COUNT,
      rateLimit: 200,
      rateEvaluationWindowSeconds: 60,
      logRetentionDays: 30,
    });
    expect(rule(rules, "rate-limit-per-ip")).toMatchObject({
      action: { count: {} },
      statement: {
        rate_based_statement: { limit: 200, evaluation_window_sec: 60 },
      },
    });
    expect(rule(rules, "max-request-body").action).toEqual({ count: {} });
    expect(rule(rules, "AWSManagedRulesCommonRuleSet").override_action).toEqual({ count: {} });
    expect(rule(rules, "AWSManagedRulesKnownBadInputsRuleSet").override_action).toEqual({ count: {} });
    expect(warningsOf(construct)).toEqual([expect.stringMatching(/mode COUNT blocks nothing/)]);
  });

  describe("GIVEN a model that accepts 1 MB bodies", () => {
    const { rules } = webAcl({ maxRequestBodyBytes: 1_048_576 });
    const statement = rule(rules, "max-request-body").statement.regex_match_statement as {
      regex_string: string;
      field_to_match: unknown;
    };

    test("WHEN synthesized THEN the common rule set's 8 KB body rule only counts and the declared Content-Length is checked instead", () => {
      expect(rule(rules, "AWSManagedRulesCommonRuleSet").statement.managed_rule_group_statement.rule_action_override).toEqual([
        { name: "SizeRestrictions_BODY", action_to_use: { count: {} } },
      ]);
      expect(statement.field_to_match).toEqual({
        single_header: { name: "content-length" },
      });
    });

    test.each([
      ["1048577", true],
      ["1048580", true],
      ["1049000", true],
      ["2000000", true],
      ["10000000", true],
      ["001048577", true],
      ["1048576", false],
      ["1048575", false],
      ["999999", false],
      ["0", false],
      ["01048576", false],
    ])("WHEN the Content-Length is %s THEN the rule matches: %s", (length, matches) => {
      expect(new RegExp(statement.regex_string).test(length)).toBe(matches);
    });
  });

  test.each<[string, Partial<InferenceWebAclProps>, RegExp]>([
    ["a name with a space", { name: "warm fleet" }, /InferenceWebAcl \(\S+\): invalid name = "warm fleet"/],
    ["a rate limit of 5", { rateLimit: 5 }, /invalid rateLimit = 5. Allowed: an integer from 10 to 2000000000/],
    ["a window of 90 s", { rateEvaluationWindowSeconds: 90 }, /invalid rateEvaluationWindowSeconds = 90. Allowed: 60, 120, 300, 600/],
    ["a body limit of 0", { maxRequestBodyBytes: 0 }, /invalid maxRequestBodyBytes = 0/],
    ["a retention of 10 days", { logRetentionDays: 10 }, /invalid logRetentionDays = 10/],
  ])("GIVEN %s WHEN synthesized THEN it fails with the prop named", (_label, overrides, message) => {
    expect(() => webAcl(overrides)).toThrow(message);
  });
});
