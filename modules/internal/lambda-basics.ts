// The parts every function of warmfleet has: a log group with retention, a role only Lambda may
// assume, and a "runtime" policy that lets it write that log group and nothing else.
import { Construct } from "constructs";
import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import { assumeRolePolicy, policyDocument } from "./policies";

export interface LambdaBasics {
  readonly logGroup: CloudwatchLogGroup;
  readonly role: IamRole;
  readonly runtimePolicy: IamRolePolicy;
}

export function lambdaBasics(scope: Construct, name: string, description: string, logRetentionDays: number, tags: Readonly<Record<string, string>>): LambdaBasics {
  const logGroup = new CloudwatchLogGroup(scope, "LogGroup", { name: `/aws/lambda/${name}`, retentionInDays: logRetentionDays, tags });
  const role = new IamRole(scope, "Role", { name, description, assumeRolePolicy: assumeRolePolicy(scope, "TrustPolicy", "lambda.amazonaws.com"), tags });
  const runtimePolicy = new IamRolePolicy(scope, "RuntimePolicy", {
    name: "runtime",
    role: role.name,
    policy: policyDocument(scope, "RuntimePolicyDocument", [
      { sid: "Logs", effect: "Allow", actions: ["logs:CreateLogStream", "logs:PutLogEvents"], resources: [`${logGroup.arn}:*`] },
    ]),
  });
  return { logGroup, role, runtimePolicy };
}
