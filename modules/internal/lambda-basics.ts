// The parts every function of warmfleet has: a log group with retention, a role only Lambda may
// assume, and a "runtime" policy that lets it write that log group (plus what the function's own
// runtime needs, such as VPC network interfaces) and nothing else.
import { Construct } from "constructs";
import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import { DataAwsIamPolicyDocumentStatement } from "@cdktf/provider-aws/lib/data-aws-iam-policy-document";
import { assumeRolePolicy, policyDocument } from "./policies";

export interface LambdaBasics {
  readonly logGroup: CloudwatchLogGroup;
  readonly role: IamRole;
  readonly runtimePolicy: IamRolePolicy;
}

export interface LambdaBasicsSpec {
  /** Function, role and log group name. */
  readonly name: string;
  /** Role description. */
  readonly description: string;
  readonly logRetentionDays: number;
  readonly tags: Readonly<Record<string, string>>;
  /** More statements of the runtime policy, after the log group's. */
  readonly runtimeStatements?: DataAwsIamPolicyDocumentStatement[];
}

export function lambdaBasics(scope: Construct, spec: LambdaBasicsSpec): LambdaBasics {
  const { name, description, logRetentionDays, tags } = spec;
  const logGroup = new CloudwatchLogGroup(scope, "LogGroup", { name: `/aws/lambda/${name}`, retentionInDays: logRetentionDays, tags });
  const role = new IamRole(scope, "Role", { name, description, assumeRolePolicy: assumeRolePolicy(scope, "TrustPolicy", "lambda.amazonaws.com"), tags });
  const runtimePolicy = new IamRolePolicy(scope, "RuntimePolicy", {
    name: "runtime",
    role: role.name,
    policy: policyDocument(scope, "RuntimePolicyDocument", [
      { sid: "Logs", effect: "Allow", actions: ["logs:CreateLogStream", "logs:PutLogEvents"], resources: [`${logGroup.arn}:*`] },
      ...(spec.runtimeStatements ?? []),
    ]),
  });
  return { logGroup, role, runtimePolicy };
}
