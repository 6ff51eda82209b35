import { Construct } from "constructs";
import { DataAwsIamPolicyDocument, DataAwsIamPolicyDocumentStatement } from "@cdktf/provider-aws/lib/data-aws-iam-policy-document";

// Policies are aws_iam_policy_document data sources rather than JSON strings: the provider
// renders them locally (no API call), plans show them resolved, and they survive the HCL export,
// which cannot carry a JSON string with ${...} references inside.

/** JSON of a policy document with the given statements. */
export function policyDocument(scope: Construct, id: string, statement: DataAwsIamPolicyDocumentStatement[]): string {
  return new DataAwsIamPolicyDocument(scope, id, { statement }).json;
}

/** JSON of a trust policy letting an AWS service assume a role. */
export function assumeRolePolicy(scope: Construct, id: string, service: string): string {
  return policyDocument(scope, id, [{ effect: "Allow", actions: ["sts:AssumeRole"], principals: [{ type: "Service", identifiers: [service] }] }]);
}

/**
 * A topic-policy statement letting an AWS service (cloudwatch.amazonaws.com, events.amazonaws.com)
 * publish, only on behalf of the given alarms or rules: the source-ARN condition keeps any other
 * account's alarm or rule from using the service's permission (the confused deputy).
 */
export function servicePublishes(sid: string, service: string, topicArn: string, sourceArns: readonly string[]): DataAwsIamPolicyDocumentStatement {
  return {
    sid,
    effect: "Allow",
    principals: [{ type: "Service", identifiers: [service] }],
    actions: ["sns:Publish"],
    resources: [topicArn],
    condition: [{ test: "ArnEquals", variable: "aws:SourceArn", values: [...sourceArns] }],
  };
}
