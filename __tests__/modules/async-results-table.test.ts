import { Construct } from "constructs";
import { DynamodbTable } from "@cdktf/provider-aws/lib/dynamodb-table";
import { AsyncResultsTable, AsyncResultsTableProps, AsyncTableEncryption } from "../../modules/async-results-table";
import { ASYNC_RESULT_ATTRIBUTES } from "../../modules/async-contract";
import { single, synth } from "../support/synth";
import { TestGrantee, statements } from "../support/async";

const KEY = "arn:aws:kms:ap-northeast-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab";

function table(overrides: Partial<AsyncResultsTableProps> = {}, grant = false) {
  let built: AsyncResultsTable | undefined;
  const result = synth((scope: Construct) => {
    built = new AsyncResultsTable(scope, "Results", { name: "infer-results", ...overrides });
    if (grant) {
      built.grantReadWrite(new TestGrantee(scope, "Api"));
      built.grantWriteResults(new TestGrantee(scope, "Worker"));
    }
  });
  return { ...result, table: built as AsyncResultsTable };
}

describe("AsyncResultsTable", () => {
  test("GIVEN defaults WHEN synthesized THEN an on-demand table keyed by requestId with PITR, TTL on expiresAt and the AWS owned key", () => {
    const { text, table: t } = table();
    expect(text).toHaveResourceWithProperties(DynamodbTable, {
      name: "infer-results",
      billing_mode: "PAY_PER_REQUEST",
      hash_key: "requestId",
      attribute: [{ name: "requestId", type: "S" }],
      ttl: { attribute_name: "expiresAt", enabled: true },
      point_in_time_recovery: { enabled: true },
      server_side_encryption: { enabled: false },
      deletion_protection_enabled: true,
    });
    expect(ASYNC_RESULT_ATTRIBUTES.requestId).toBe("requestId");
    expect(t.resultTtlSeconds).toBe(604800);
  });

  test("GIVEN AWS_MANAGED or a customer key WHEN synthesized THEN server-side encryption uses it", () => {
    expect(single(table({ encryption: AsyncTableEncryption.AWS_MANAGED }).json, "aws_dynamodb_table").server_side_encryption).toEqual({ enabled: true });
    expect(single(table({ encryption: AsyncTableEncryption.CUSTOMER_KEY, kmsKeyArn: KEY }).json, "aws_dynamodb_table").server_side_encryption).toEqual({ enabled: true, kms_key_arn: KEY });
  });

  test("GIVEN grantees WHEN granted THEN the API gets Get/Put/DeleteItem and workers Get/UpdateItem, on this table only", () => {
    const { json } = table({}, true);
    const tableArn = expect.stringMatching(/^\$\{aws_dynamodb_table\.Results_Table_\w+\.arn\}$/);
    expect(statements(json, "Api_GrantsPolicyDocument")).toEqual([{ effect: "Allow", actions: ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:DeleteItem"], resources: [tableArn] }]);
    expect(statements(json, "Worker_GrantsPolicyDocument")).toEqual([{ effect: "Allow", actions: ["dynamodb:GetItem", "dynamodb:UpdateItem"], resources: [tableArn] }]);
  });

  test("GIVEN a customer key WHEN granted THEN the grantees may use the key too", () => {
    const { json } = table({ encryption: AsyncTableEncryption.CUSTOMER_KEY, kmsKeyArn: KEY }, true);
    expect(statements(json, "Worker_GrantsPolicyDocument")).toContainEqual({ effect: "Allow", actions: ["kms:Decrypt", "kms:GenerateDataKey"], resources: [KEY] });
  });

  test("GIVEN a TTL and no deletion protection WHEN synthesized THEN both apply", () => {
    const { json, table: t } = table({ resultTtlSeconds: 3600, deletionProtection: false });
    expect(t.resultTtlSeconds).toBe(3600);
    expect(single(json, "aws_dynamodb_table").deletion_protection_enabled).toBe(false);
  });

  test.each([
    ["CUSTOMER_KEY without a key", { encryption: AsyncTableEncryption.CUSTOMER_KEY }, /invalid kmsKeyArn = undefined/],
    ["a key with AWS_OWNED", { kmsKeyArn: KEY }, /no key with AsyncTableEncryption.AWS_OWNED/],
    ["an alias as key", { encryption: AsyncTableEncryption.CUSTOMER_KEY, kmsKeyArn: "alias/aws/dynamodb" }, /invalid kmsKeyArn = "alias\/aws\/dynamodb"/],
    ["a TTL of 59 s", { resultTtlSeconds: 59 }, /invalid resultTtlSeconds = 59/],
    ["a name with a space", { name: "my results" }, /invalid name = "my results"/],
  ] as const)("GIVEN %s WHEN constructed THEN it throws", (_, overrides, message) => {
    expect(() => table(overrides as Partial<AsyncResultsTableProps>)).toThrow(message);
  });
});
