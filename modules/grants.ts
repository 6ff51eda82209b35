import { Construct } from "constructs";
import { Lazy } from "cdktf";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import { DataAwsIamPolicyDocument, dataAwsIamPolicyDocumentStatementToTerraform } from "@cdktf/provider-aws/lib/data-aws-iam-policy-document";
import { PropValidationError, S3_BUCKET, KMS_KEY, isUnresolved, requireArn } from "./internal/validation";

/** A condition of a policy statement, as in IAM: `{ test: "StringLike", variable: "s3:prefix", values: ["models/*"] }`. */
export interface PolicyCondition {
  /** Condition operator, e.g. "StringEquals", "StringLike", "ArnEquals". */
  readonly test: string;
  /** Condition key, e.g. "s3:prefix". */
  readonly variable: string;
  /** Values compared with the key. */
  readonly values: readonly string[];
}

/** One IAM policy statement added to a construct's role. */
export interface PolicyStatement {
  /** Statement id, letters and digits, unique within the role's grants. @default - no sid */
  readonly sid?: string;
  /** Allow or deny. @default "Allow" */
  readonly effect?: "Allow" | "Deny";
  /** Actions, e.g. ["s3:GetObject"]. */
  readonly actions: readonly string[];
  /** Resource ARNs; "*" only for actions that support no resource-level permissions. */
  readonly resources: readonly string[];
  /** Conditions. @default - none */
  readonly conditions?: readonly PolicyCondition[];
}

/** A principal that permissions can be granted to: it owns a role and adds statements to it. */
export interface IGrantable {
  /** Adds a statement to the principal's role. */
  addToRolePolicy(statement: PolicyStatement): void;
}

/** Where models are read from: an S3 bucket, optionally a key prefix and a KMS key. */
export interface ModelStore {
  /** ARN of the bucket, "arn:aws:s3:::my-models". */
  readonly bucketArn: string;
  /** Key prefix the grant is limited to, e.g. "resnet/v3/". @default - the whole bucket */
  readonly prefix?: string;
  /** KMS key the objects are encrypted with (SSE-KMS). @default - none: SSE-S3 needs no key grant */
  readonly kmsKeyArn?: string;
}

/**
 * The grant statements of one role, written as a single inline policy named "grants" that is
 * created on the first statement; roles without grants get no extra resource.
 */
export class RoleGrants {
  private readonly statements: PolicyStatement[] = [];
  private policy?: IamRolePolicy;

  constructor(
    private readonly scope: Construct,
    private readonly roleName: string,
  ) {}

  /** Adds a statement; the policy document resolves all statements at synth time. */
  public add(statement: PolicyStatement): void {
    validateStatement(this.scope, statement, this.statements);
    this.statements.push(statement);
    this.policy ??= this.createPolicy();
  }

  /** The policy resource, for depends_on; undefined until a statement is added. */
  public get resource(): IamRolePolicy | undefined {
    return this.policy;
  }

  private createPolicy(): IamRolePolicy {
    const document = new DataAwsIamPolicyDocument(this.scope, "GrantsPolicyDocument", {
      statement: Lazy.anyValue({ produce: () => this.statements.map(toTerraformStatement) }) as never,
    });
    return new IamRolePolicy(this.scope, "GrantsPolicy", { name: "grants", role: this.roleName, policy: document.json });
  }
}

/** Read access to a model store: list the prefix, get its objects, decrypt with its key. */
export function grantModelStoreRead(grantee: IGrantable, store: ModelStore): void {
  requireArn("grantModelStoreRead", "store.bucketArn", store.bucketArn, [S3_BUCKET], 'pass the bucket ARN, "arn:aws:s3:::<bucket>", not its name or an object ARN');
  if (store.kmsKeyArn !== undefined) {
    requireArn("grantModelStoreRead", "store.kmsKeyArn", store.kmsKeyArn, [KMS_KEY], "pass the key ARN (not an alias or key id)");
  }
  const prefix = store.prefix ?? "";
  if (!isUnresolved(prefix) && prefix.startsWith("/")) {
    throw new PropValidationError("grantModelStoreRead", "store.prefix", prefix, "a key prefix without a leading /", `use "${prefix.replace(/^\/+/, "")}"`);
  }
  grantee.addToRolePolicy({
    actions: ["s3:ListBucket"],
    resources: [store.bucketArn],
    conditions: prefix ? [{ test: "StringLike", variable: "s3:prefix", values: [`${prefix}*`] }] : undefined,
  });
  grantee.addToRolePolicy({ actions: ["s3:GetObject"], resources: [`${store.bucketArn}/${prefix}*`] });
  if (store.kmsKeyArn !== undefined) {
    grantee.addToRolePolicy({ actions: ["kms:Decrypt"], resources: [store.kmsKeyArn] });
  }
}

function toTerraformStatement(statement: PolicyStatement): unknown {
  return dataAwsIamPolicyDocumentStatementToTerraform({
    sid: statement.sid,
    effect: statement.effect ?? "Allow",
    actions: [...statement.actions],
    resources: [...statement.resources],
    condition: statement.conditions?.map((c) => ({ test: c.test, variable: c.variable, values: [...c.values] })),
  });
}

function validateStatement(scope: Construct, statement: PolicyStatement, existing: readonly PolicyStatement[]): void {
  if (statement.actions.length === 0 || statement.resources.length === 0) {
    throw new PropValidationError(scope, "statement", statement, "at least one action and one resource", "name the actions and the ARNs they apply to");
  }
  const invalidAction = statement.actions.find((action) => !isUnresolved(action) && !/^[a-z0-9-]+:[A-Za-z0-9*]+$/.test(action));
  if (invalidAction !== undefined) {
    throw new PropValidationError(scope, "statement.actions", invalidAction, 'service:Action, e.g. "s3:GetObject" or "s3:Get*"', "fix the action name");
  }
  const sid = statement.sid;
  if (sid === undefined) return;
  if (!/^[A-Za-z0-9]+$/.test(sid)) {
    throw new PropValidationError(scope, "statement.sid", sid, "letters and digits only", "remove spaces, hyphens and other characters");
  }
  if (existing.some((s) => s.sid === sid)) {
    throw new PropValidationError(scope, "statement.sid", sid, "a sid not used by another grant of this role", "rename the sid, or leave it out");
  }
}

/** Where results are written: an S3 bucket, a key prefix and optionally a KMS key. */
export interface ResultsStore {
  /** ARN of the bucket, "arn:aws:s3:::my-results". */
  readonly bucketArn: string;
  /** Key prefix the grant is limited to, e.g. "recommendations/". @default - the whole bucket */
  readonly prefix?: string;
  /** KMS key the bucket encrypts with (SSE-KMS). @default - none: SSE-S3 needs no key grant */
  readonly kmsKeyArn?: string;
}

/**
 * Write-only access to a results store: put objects under the prefix (multipart uploads
 * included, and aborting them), and encrypt with its key. No list or read: a job that writes
 * results never needs to see what other runs wrote.
 */
export function grantResultsWrite(grantee: IGrantable, store: ResultsStore): void {
  requireArn("grantResultsWrite", "store.bucketArn", store.bucketArn, [S3_BUCKET], 'pass the bucket ARN, "arn:aws:s3:::<bucket>", not its name or an object ARN');
  if (store.kmsKeyArn !== undefined) {
    requireArn("grantResultsWrite", "store.kmsKeyArn", store.kmsKeyArn, [KMS_KEY], "pass the key ARN (not an alias or key id)");
  }
  const prefix = store.prefix ?? "";
  if (!isUnresolved(prefix) && prefix.startsWith("/")) {
    throw new PropValidationError("grantResultsWrite", "store.prefix", prefix, "a key prefix without a leading /", `use "${prefix.replace(/^\/+/, "")}"`);
  }
  grantee.addToRolePolicy({ actions: ["s3:PutObject", "s3:AbortMultipartUpload"], resources: [`${store.bucketArn}/${prefix}*`] });
  if (store.kmsKeyArn !== undefined) {
    // Multipart uploads read the data key back for each part, hence Decrypt beside GenerateDataKey.
    grantee.addToRolePolicy({ actions: ["kms:GenerateDataKey", "kms:Decrypt"], resources: [store.kmsKeyArn] });
  }
}
