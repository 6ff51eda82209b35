import { Construct } from "constructs";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import { DataAwsIamPolicyDocumentStatement } from "@cdktf/provider-aws/lib/data-aws-iam-policy-document";
import { assumeRolePolicy, policyDocument } from "./policies";
import { isUnresolved } from "./validation";

/** What an ECS task execution role serves: one image and one log group. */
export interface ExecutionRoleSpec {
  /** Role name. */
  readonly name: string;
  /** Role description. */
  readonly description: string;
  /** The container image; an ECR URI gives pull rights on its repository. */
  readonly image: string;
  /** ECR repository of an image known only at apply time. */
  readonly ecrRepositoryArn?: string;
  /** ARN of the log group the awslogs driver writes to. */
  readonly logGroupArn: string;
  /** The partition, from aws_partition. */
  readonly partition: string;
  readonly tags: Readonly<Record<string, string>>;
}

/**
 * The role ECS (Fargate or Batch) uses to start a task: pull its image from its own ECR
 * repository (nothing when the image is elsewhere) and write its log group, nothing else.
 */
export function ecsExecutionRole(scope: Construct, spec: ExecutionRoleSpec): { role: IamRole; policy: IamRolePolicy } {
  const role = new IamRole(scope, "ExecutionRole", {
    name: `${spec.name}-execution`,
    description: spec.description,
    assumeRolePolicy: assumeRolePolicy(scope, "ExecutionTrustPolicy", "ecs-tasks.amazonaws.com"),
    tags: spec.tags,
  });
  const repository = spec.ecrRepositoryArn ?? ecrRepositoryArnOfImage(spec.image, spec.partition);
  const statements: DataAwsIamPolicyDocumentStatement[] = [
    { sid: "Logs", effect: "Allow", actions: ["logs:CreateLogStream", "logs:PutLogEvents"], resources: [`${spec.logGroupArn}:*`] },
  ];
  if (repository !== undefined) {
    statements.push(
      // GetAuthorizationToken supports no resource-level permissions.
      { sid: "EcrLogin", effect: "Allow", actions: ["ecr:GetAuthorizationToken"], resources: ["*"] },
      { sid: "PullImage", effect: "Allow", actions: ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:BatchCheckLayerAvailability"], resources: [repository] },
    );
  }
  const policy = new IamRolePolicy(scope, "ExecutionPolicy", { name: "execution", role: role.name, policy: policyDocument(scope, "ExecutionPolicyDocument", statements) });
  return { role, policy };
}

/** ARN of the ECR repository of a literal ECR image URI; undefined for other registries. */
export function ecrRepositoryArnOfImage(image: string, partition: string): string | undefined {
  if (isUnresolved(image)) return undefined;
  const match = /^(\d{12})\.dkr\.ecr\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?\/([a-z0-9._/-]+?)(?::[\w.-]+)?(?:@sha256:[0-9a-f]{64})?$/.exec(image);
  if (!match) return undefined;
  const [, account, region, repository] = match;
  return `arn:${partition}:ecr:${region}:${account}:repository/${repository}`;
}
