import { IGrantable, PolicyStatement, ResultsStore, grantResultsWrite } from "../../modules/grants";

function granted(store: ResultsStore): PolicyStatement[] {
  const received: PolicyStatement[] = [];
  const grantee: IGrantable = { addToRolePolicy: (statement) => received.push(statement) };
  grantResultsWrite(grantee, store);
  return received;
}

describe("grantResultsWrite", () => {
  test("GIVEN a prefix WHEN granted THEN objects under it may be put (multipart included) and nothing may be listed or read", () => {
    expect(granted({ bucketArn: "arn:aws:s3:::acme-results", prefix: "recommendations/" })).toEqual([
      { actions: ["s3:PutObject", "s3:AbortMultipartUpload"], resources: ["arn:aws:s3:::acme-results/recommendations/*"] },
    ]);
  });

  test("GIVEN no prefix WHEN granted THEN the whole bucket", () => {
    expect(granted({ bucketArn: "arn:aws:s3:::acme-results" })[0].resources).toEqual(["arn:aws:s3:::acme-results/*"]);
  });

  test("GIVEN a KMS key WHEN granted THEN the key may generate data keys and decrypt them for multipart parts", () => {
    const key = "arn:aws:kms:ap-northeast-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab";
    expect(granted({ bucketArn: "arn:aws:s3:::r", kmsKeyArn: key })[1]).toEqual({ actions: ["kms:GenerateDataKey", "kms:Decrypt"], resources: [key] });
  });

  test.each<[string, ResultsStore, RegExp]>([
    ["a bucket name", { bucketArn: "acme-results" }, /^grantResultsWrite: invalid store\.bucketArn = "acme-results"\. Allowed: an S3 bucket ARN/],
    ["a key alias", { bucketArn: "arn:aws:s3:::r", kmsKeyArn: "alias/results" }, /invalid store\.kmsKeyArn = "alias\/results"\. Allowed: a KMS key ARN/],
    ["a leading slash", { bucketArn: "arn:aws:s3:::r", prefix: "/out/" }, /invalid store\.prefix = "\/out\/".*Fix: use "out\/"/],
  ])("GIVEN %s WHEN granted THEN it fails naming the problem", (_, store, message) => {
    expect(() => granted(store)).toThrow(message);
  });
});
