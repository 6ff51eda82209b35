import { S3BucketServerSideEncryptionConfigurationA } from "@cdktf/provider-aws/lib/s3-bucket-server-side-encryption-configuration";
import { S3BucketPublicAccessBlock } from "@cdktf/provider-aws/lib/s3-bucket-public-access-block";
import { S3BucketOwnershipControls } from "@cdktf/provider-aws/lib/s3-bucket-ownership-controls";
import { S3BucketLifecycleConfiguration } from "@cdktf/provider-aws/lib/s3-bucket-lifecycle-configuration";
import { LoadBalancerLogBucket, LoadBalancerLogBucketProps } from "../../modules/load-balancer-log-bucket";
import { SynthJson, single, synth } from "../support/synth";

const base: LoadBalancerLogBucketProps = {
  name: "prod-alb-logs",
  region: "eu-west-1",
};

function logBucket(overrides: Partial<LoadBalancerLogBucketProps> = {}) {
  let construct: LoadBalancerLogBucket | undefined;
  const out = synth((scope) => {
    construct = new LoadBalancerLogBucket(scope, "Logs", {
      ...base,
      ...overrides,
    });
  });
  return { ...out, construct: construct as LoadBalancerLogBucket };
}

interface Statement {
  sid: string;
  effect: string;
  principals: { type: string; identifiers: string[] }[];
  actions: string[];
  resources: string[];
  condition?: unknown[];
}

function statements(json: SynthJson): Map<string, Statement> {
  const document = Object.values(json.data?.aws_iam_policy_document ?? {})[0] as { statement: Statement[] };
  return new Map(document.statement.map((s) => [s.sid, s]));
}

describe("LoadBalancerLogBucket", () => {
  describe("GIVEN defaults in a region older than August 2022", () => {
    const { text, json, construct } = logBucket();

    test("WHEN synthesized THEN the bucket is SSE-S3 encrypted, private, owner-enforced and expires logs after 90 days", () => {
      expect(single(json, "aws_s3_bucket")).toMatchObject({
        bucket_prefix: "prod-alb-logs-",
        force_destroy: false,
      });
      expect(text).toHaveResourceWithProperties(S3BucketServerSideEncryptionConfigurationA, {
        rule: [
          {
            apply_server_side_encryption_by_default: {
              sse_algorithm: "AES256",
            },
          },
        ],
      });
      expect(text).toHaveResourceWithProperties(S3BucketPublicAccessBlock, {
        block_public_acls: true,
        block_public_policy: true,
        ignore_public_acls: true,
        restrict_public_buckets: true,
      });
      expect(text).toHaveResourceWithProperties(S3BucketOwnershipControls, {
        rule: { object_ownership: "BucketOwnerEnforced" },
      });
      expect(text).toHaveResourceWithProperties(S3BucketLifecycleConfiguration, {
        rule: [
          expect.objectContaining({
            status: "Enabled",
            filter: [{ prefix: "alb/" }],
            expiration: [{ days: 90 }],
          }),
        ],
      });
      expect(construct.prefix).toBe("alb");
    });

    test("WHEN synthesized THEN the region's ELB account may put objects under the prefix's AWSLogs of this account only", () => {
      const delivery = statements(json).get("LoadBalancerLogDelivery");
      expect(delivery).toMatchObject({
        effect: "Allow",
        principals: [
          {
            type: "AWS",
            identifiers: [expect.stringMatching(/^arn:\$\{data\.aws_partition\.\w+\.partition\}:iam::156460612806:root$/)],
          },
        ],
        actions: ["s3:PutObject"],
      });
      expect(delivery?.resources).toEqual([expect.stringMatching(/\/alb\/AWSLogs\/\$\{data\.aws_caller_identity\.\w+\.account_id\}\/\*$/)]);
    });

    test("WHEN synthesized THEN requests without TLS are denied and the policy waits for the public access block", () => {
      expect(statements(json).get("DenyInsecureTransport")).toMatchObject({
        effect: "Deny",
        actions: ["s3:*"],
        condition: [{ test: "Bool", variable: "aws:SecureTransport", values: ["false"] }],
      });
      expect(single(json, "aws_s3_bucket_policy").depends_on).toEqual([expect.stringMatching(/^aws_s3_bucket_public_access_block\./)]);
    });
  });

  test("GIVEN a region launched after August 2022 WHEN synthesized THEN the log delivery service principal writes", () => {
    const { json } = logBucket({
      region: "eu-central-2",
      prefix: "edge/alb",
      expirationDays: 400,
    });
    expect(statements(json).get("LoadBalancerLogDelivery")?.principals).toEqual([
      {
        type: "Service",
        identifiers: ["logdelivery.elasticloadbalancing.amazonaws.com"],
      },
    ]);
    expect(statements(json).get("LoadBalancerLogDelivery")?.resources).toEqual([expect.stringContaining("/edge/alb/AWSLogs/")]);
  });

  test.each<[string, Partial<LoadBalancerLogBucketProps>, RegExp]>([
    ["an uppercase name", { name: "Prod" }, /LoadBalancerLogBucket \(\S+\): invalid name = "Prod"/],
    ["a region display name", { region: "Ireland" }, /invalid region = "Ireland". Allowed: a literal AWS region code/],
    ["an expiry of 0 days", { expirationDays: 0 }, /invalid expirationDays = 0. Allowed: an integer from 1 to 3650/],
    ["a prefix with a trailing slash", { prefix: "alb/" }, /invalid prefix = "alb\/". Allowed: letters, digits/],
    ["a prefix holding AWSLogs", { prefix: "AWSLogs/alb" }, /invalid prefix = "AWSLogs\/alb"/],
  ])("GIVEN %s WHEN synthesized THEN it fails with the prop named", (_label, overrides, message) => {
    expect(() => logBucket(overrides)).toThrow(message);
  });
});
