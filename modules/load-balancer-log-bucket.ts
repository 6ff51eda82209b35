import { Construct } from "constructs";
import { ITerraformDependable } from "cdktf";
import { S3Bucket } from "@cdktf/provider-aws/lib/s3-bucket";
import { S3BucketServerSideEncryptionConfigurationA } from "@cdktf/provider-aws/lib/s3-bucket-server-side-encryption-configuration";
import { S3BucketPublicAccessBlock } from "@cdktf/provider-aws/lib/s3-bucket-public-access-block";
import { S3BucketOwnershipControls } from "@cdktf/provider-aws/lib/s3-bucket-ownership-controls";
import { S3BucketLifecycleConfiguration } from "@cdktf/provider-aws/lib/s3-bucket-lifecycle-configuration";
import { S3BucketPolicy } from "@cdktf/provider-aws/lib/s3-bucket-policy";
import { DataAwsCallerIdentity } from "@cdktf/provider-aws/lib/data-aws-caller-identity";
import { DataAwsPartition } from "@cdktf/provider-aws/lib/data-aws-partition";
import { policyDocument } from "./internal/policies";
import { PropValidationError, isUnresolved, requireIntegerInRange } from "./internal/validation";

/**
 * The Elastic Load Balancing account that writes access logs, per region that existed before
 * August 2022. Source: "Enable access logs for your Application Load Balancer", section "Step 2:
 * Attach a policy to your S3 bucket" (docs.aws.amazon.com/elasticloadbalancing/latest/application/
 * enable-access-logging.html, read 2026-11-23), the same table as aws-cdk's region-info facts.
 * Newer regions accept only the log delivery service principal.
 */
export const ELB_LOG_DELIVERY_ACCOUNTS: Readonly<Record<string, string>> = {
  "us-east-1": "127311923021",
  "us-east-2": "033677994240",
  "us-west-1": "027434742980",
  "us-west-2": "797873946194",
  "af-south-1": "098369216593",
  "ap-east-1": "754344448648",
  "ap-southeast-3": "589379963580",
  "ap-south-1": "718504428378",
  "ap-northeast-3": "383597477331",
  "ap-northeast-2": "600734575887",
  "ap-southeast-1": "114774131450",
  "ap-southeast-2": "783225319266",
  "ap-northeast-1": "582318560864",
  "ca-central-1": "985666609251",
  "eu-central-1": "054676820928",
  "eu-west-1": "156460612806",
  "eu-west-2": "652711504416",
  "eu-south-1": "635631232127",
  "eu-west-3": "009996457667",
  "eu-north-1": "897822967062",
  "me-south-1": "076674570225",
  "sa-east-1": "507241528517",
  "us-gov-west-1": "048591011584",
  "us-gov-east-1": "190560391635",
  "cn-north-1": "638102146993",
  "cn-northwest-1": "037604701340",
};

/** Service principal that delivers access logs in regions launched from August 2022 on. */
export const ELB_LOG_DELIVERY_SERVICE = "logdelivery.elasticloadbalancing.amazonaws.com";

const REGION = /^[a-z]{2}(?:-[a-z]+)+-\d+$/;

export interface LoadBalancerLogBucketProps {
  /** Prefix of the bucket name (AWS appends a unique suffix), 1 to 36 lowercase letters, digits and hyphens. */
  readonly name: string;
  /** Region of the bucket and the load balancer, a literal: it decides who may write the logs. */
  readonly region: string;
  /** Days before a log object expires, 1 to 3650. @default 90 */
  readonly expirationDays?: number;
  /** Key prefix of the logs inside the bucket, without slashes at either end. @default "alb" */
  readonly prefix?: string;
  /** Let `terraform destroy` delete a bucket that still holds logs; keep false for an audit trail. @default false */
  readonly forceDestroy?: boolean;
  /** Tags added to every resource. @default - no extra tags */
  readonly tags?: Readonly<Record<string, string>>;
}

/** Where a load balancer writes its access logs. */
export interface AccessLogDestination {
  /** Name of the bucket. */
  readonly bucketName: string;
  /** Key prefix of the logs. */
  readonly prefix: string;
  /** The bucket policy: AWS checks that it can write a test object when access logs are enabled, so the ALB must wait for it. */
  readonly writable: ITerraformDependable;
}

/**
 * An S3 bucket for ALB access logs: SSE-S3 (the only encryption ALB log delivery supports),
 * public access blocked, bucket-owner ownership, expiry, TLS-only, and write access for the
 * region's log delivery principal on `<prefix>/AWSLogs/<account>/` only.
 */
export class LoadBalancerLogBucket extends Construct implements AccessLogDestination {
  /** Name of the bucket. */
  public readonly bucketName: string;
  /** ARN of the bucket. */
  public readonly bucketArn: string;
  /** Key prefix of the logs. */
  public readonly prefix: string;
  /** The bucket policy resource, for `depends_on`. */
  public readonly writable: ITerraformDependable;

  constructor(scope: Construct, id: string, props: LoadBalancerLogBucketProps) {
    super(scope, id);
    validateLogBucketProps(this, props);
    const tags = props.tags ?? {};
    this.prefix = props.prefix ?? "alb";

    const bucket = new S3Bucket(this, "Bucket", {
      bucketPrefix: `${props.name}-`,
      forceDestroy: props.forceDestroy ?? false,
      tags,
    });
    new S3BucketServerSideEncryptionConfigurationA(this, "Encryption", {
      bucket: bucket.id,
      rule: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } }],
    });
    const publicAccess = new S3BucketPublicAccessBlock(this, "PublicAccessBlock", {
      bucket: bucket.id,
      blockPublicAcls: true,
      blockPublicPolicy: true,
      ignorePublicAcls: true,
      restrictPublicBuckets: true,
    });
    new S3BucketOwnershipControls(this, "Ownership", {
      bucket: bucket.id,
      rule: { objectOwnership: "BucketOwnerEnforced" },
    });
    new S3BucketLifecycleConfiguration(this, "Lifecycle", {
      bucket: bucket.id,
      rule: [
        {
          id: "expire-access-logs",
          status: "Enabled",
          filter: [{ prefix: `${this.prefix}/` }],
          expiration: [{ days: props.expirationDays ?? 90 }],
          abortIncompleteMultipartUpload: [{ daysAfterInitiation: 7 }],
        },
      ],
    });

    const partition = new DataAwsPartition(this, "Partition").partition;
    const account = new DataAwsCallerIdentity(this, "Account").accountId;
    const document = policyDocument(this, "PolicyDocument", [
      {
        sid: "DenyInsecureTransport",
        effect: "Deny",
        principals: [{ type: "*", identifiers: ["*"] }],
        actions: ["s3:*"],
        resources: [bucket.arn, `${bucket.arn}/*`],
        condition: [{ test: "Bool", variable: "aws:SecureTransport", values: ["false"] }],
      },
      {
        sid: "LoadBalancerLogDelivery",
        effect: "Allow",
        principals: [logDeliveryPrincipal(props.region, partition)],
        actions: ["s3:PutObject"],
        resources: [`${bucket.arn}/${this.prefix}/AWSLogs/${account}/*`],
      },
    ]);
    // After the public access block: S3 rejects a policy PUT racing the block's own PUT.
    const policy = new S3BucketPolicy(this, "Policy", {
      bucket: bucket.id,
      policy: document,
      dependsOn: [publicAccess],
    });

    this.bucketName = bucket.bucket;
    this.bucketArn = bucket.arn;
    this.writable = policy;
  }
}

/** The account principal of an older region, the service principal of a newer one. */
function logDeliveryPrincipal(region: string, partition: string): { type: string; identifiers: string[] } {
  const account = ELB_LOG_DELIVERY_ACCOUNTS[region];
  return account === undefined
    ? { type: "Service", identifiers: [ELB_LOG_DELIVERY_SERVICE] }
    : { type: "AWS", identifiers: [`arn:${partition}:iam::${account}:root`] };
}

function validateLogBucketProps(scope: Construct, props: LoadBalancerLogBucketProps): void {
  if (!isUnresolved(props.name) && !/^[a-z0-9](?:[a-z0-9-]{0,34}[a-z0-9])?$/.test(props.name)) {
    throw new PropValidationError(
      scope,
      "name",
      props.name,
      "1 to 36 lowercase letters, digits and hyphens, not starting or ending with a hyphen (S3 allows 37 characters of prefix)",
      'use a short lowercase name such as "prod-alb-logs"; S3 appends a unique suffix',
    );
  }
  if (isUnresolved(props.region) || !REGION.test(props.region)) {
    throw new PropValidationError(
      scope,
      "region",
      props.region,
      "a literal AWS region code such as us-east-1",
      "pass the region as a string: it decides whether the ELB account of that region or the log delivery service principal may write",
    );
  }
  requireIntegerInRange(scope, "expirationDays", props.expirationDays, 1, 3650, "keep logs from 1 to 3650 days");
  const prefix = props.prefix;
  if (prefix !== undefined && !isUnresolved(prefix) && (!/^[\w.-]+(?:\/[\w.-]+)*$/.test(prefix) || prefix.includes("AWSLogs"))) {
    throw new PropValidationError(
      scope,
      "prefix",
      prefix,
      "letters, digits, dots, hyphens and underscores in /-separated parts, no slash at either end, without AWSLogs (ELB appends that part)",
      'use a prefix such as "alb" or "edge/alb"',
    );
  }
}
