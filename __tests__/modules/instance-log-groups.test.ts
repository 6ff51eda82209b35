import { Construct } from "constructs";
import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group";
import { PolicyStatement } from "../../modules/grants";
import { InstanceLogGroups, InstanceLogGroupsProps } from "../../modules/instance-log-groups";
import { resources, synth } from "../support/synth";

const KEY = "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab";

function logGroups(overrides: Partial<InstanceLogGroupsProps> = {}) {
  const statements: PolicyStatement[] = [];
  let built: InstanceLogGroups | undefined;
  const result = synth((scope: Construct) => {
    built = new InstanceLogGroups(scope, "InstanceLogs", { namePrefix: "/warmfleet/prod", ...overrides });
    built.grantWrite({ addToRolePolicy: (s) => statements.push(s) });
  });
  return { ...result, statements, groups: built as InstanceLogGroups };
}

describe("InstanceLogGroups", () => {
  const defaults = logGroups();

  test("GIVEN a prefix WHEN synthesized THEN three groups with 30 days' retention, keyed by their names", () => {
    const groups = resources(defaults.json, "aws_cloudwatch_log_group");
    expect(Object.keys(groups).map((key) => key.replace(/_[0-9A-F]{8}$/, ""))).toEqual(["InstanceLogs_nginx-access", "InstanceLogs_nginx-error", "InstanceLogs_server"]);
    for (const suffix of ["nginx-access", "nginx-error", "server"]) {
      expect(defaults.text).toHaveResourceWithProperties(CloudwatchLogGroup, { name: `/warmfleet/prod/${suffix}`, retention_in_days: 30 });
    }
    expect(Object.values(groups).every((g) => g.kms_key_id === undefined)).toBe(true);
  });

  test("GIVEN the groups WHEN write access is granted THEN it may add streams and events to these groups only, and never create a group", () => {
    expect(defaults.statements).toEqual([{ actions: ["logs:CreateLogStream", "logs:PutLogEvents"], resources: defaults.groups.logGroupArns.map((arn) => `${arn}:*`) }]);
    expect(defaults.groups.logGroupArns).toHaveLength(3);
    expect(defaults.statements.flatMap((s) => s.actions)).not.toContain("logs:CreateLogGroup");
  });

  test("GIVEN the groups WHEN their names are read THEN each is a reference to its own group, so instances boot only once the groups exist", () => {
    const { json } = synth((scope: Construct) => {
      const groups = new InstanceLogGroups(scope, "InstanceLogs", { namePrefix: "/warmfleet/prod" });
      new CloudwatchLogGroup(scope, "Probe", { name: `${groups.names.nginxAccess}|${groups.names.nginxError}|${groups.names.server}` });
    });
    const probe = Object.entries(resources(json, "aws_cloudwatch_log_group")).find(([key]) => key.startsWith("Probe"))?.[1];
    expect(probe?.name).toMatch(
      /^\$\{aws_cloudwatch_log_group\.InstanceLogs_nginx-access_\w+\.name\}\|\$\{aws_cloudwatch_log_group\.InstanceLogs_nginx-error_\w+\.name\}\|\$\{aws_cloudwatch_log_group\.InstanceLogs_server_\w+\.name\}$/,
    );
  });

  test("GIVEN a KMS key and a retention WHEN synthesized THEN every group uses them", () => {
    const { json } = logGroups({ kmsKeyArn: KEY, retentionDays: 365, tags: { team: "ml" } });
    for (const group of Object.values(resources(json, "aws_cloudwatch_log_group"))) {
      expect(group).toMatchObject({ kms_key_id: KEY, retention_in_days: 365, tags: { team: "ml" } });
    }
  });

  test("GIVEN a prefix with a trailing slash WHEN synthesized THEN it is rejected", () => {
    expect(() => logGroups({ namePrefix: "/warmfleet/prod/" })).toThrow(/InstanceLogGroups \(.*InstanceLogs\): invalid namePrefix = "\/warmfleet\/prod\/".*no trailing \//);
  });

  test("GIVEN a prefix with a space WHEN synthesized THEN it is rejected", () => {
    expect(() => logGroups({ namePrefix: "/warmfleet/my prod" })).toThrow(/invalid namePrefix = "\/warmfleet\/my prod"/);
  });

  test("GIVEN a retention CloudWatch does not offer WHEN synthesized THEN it is rejected", () => {
    expect(() => logGroups({ retentionDays: 10 })).toThrow(/invalid retentionDays = 10/);
  });

  test("GIVEN a key alias instead of a key ARN WHEN synthesized THEN it is rejected", () => {
    expect(() => logGroups({ kmsKeyArn: "alias/logs" })).toThrow(/invalid kmsKeyArn = "alias\/logs"/);
  });
});
