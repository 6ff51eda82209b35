import { Construct } from "constructs";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import { Connections } from "../../modules/connections";
import { InferenceFleet, InferenceFleetProps } from "../../modules/inference-fleet";
import { IGrantable, PolicyStatement, grantModelStoreRead } from "../../modules/grants";
import { WarmupHook } from "../../modules/warmup-hook";
import { single, synth, SynthJson } from "../support/synth";
import { deterministicZip } from "../../modules/internal/zip";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const fleetProps: InferenceFleetProps = {
  name: "models",
  vpcId: "vpc-1",
  subnetIds: ["subnet-a", "subnet-b"],
  loadBalancer: { targetGroupArn: "arn:tg", connections: Connections.fromSecurityGroupId("LoadBalancer", "sg-alb"), requestCountResourceLabel: "label", targetPort: 80 },
  imageId: "ami-0123456789abcdef0",
  httpsEgressCidrBlocks: ["10.0.0.0/8"],
  launchHook: {},
};

function fleetWith(grant: (fleet: InferenceFleet, scope: Construct) => void) {
  return synth((scope) => grant(new InferenceFleet(scope, "Fleet", fleetProps), scope));
}

/** The statements of the "grants" policy document, as Terraform receives them. */
function grantStatements(json: SynthJson): Record<string, unknown>[] {
  const documents = Object.entries(json.data?.aws_iam_policy_document ?? {}).filter(([id]) => id.includes("GrantsPolicyDocument"));
  expect(documents).toHaveLength(1);
  return documents[0][1].statement as Record<string, unknown>[];
}

describe("grants", () => {
  test("GIVEN a fleet without grants WHEN synthesized THEN no grants policy exists", () => {
    const { json } = synth((scope) => new InferenceFleet(scope, "Fleet", fleetProps));
    expect(json.resource?.aws_iam_role_policy).toBeUndefined();
  });

  test("GIVEN a model store with a prefix and a key WHEN granted THEN list is limited to the prefix, get to its objects, decrypt to the key", () => {
    const { json, text } = fleetWith((fleet) =>
      fleet.grantModelStoreRead({ bucketArn: "arn:aws:s3:::acme-models", prefix: "resnet/v3/", kmsKeyArn: "arn:aws:kms:us-east-1:123456789012:key/abcd-1234" }),
    );
    expect(text).toHaveResourceWithProperties(IamRolePolicy, { name: "grants" });
    expect(grantStatements(json)).toEqual([
      {
        effect: "Allow",
        actions: ["s3:ListBucket"],
        resources: ["arn:aws:s3:::acme-models"],
        condition: [{ test: "StringLike", variable: "s3:prefix", values: ["resnet/v3/*"] }],
      },
      { effect: "Allow", actions: ["s3:GetObject"], resources: ["arn:aws:s3:::acme-models/resnet/v3/*"] },
      { effect: "Allow", actions: ["kms:Decrypt"], resources: ["arn:aws:kms:us-east-1:123456789012:key/abcd-1234"] },
    ]);
  });

  test("GIVEN two grants WHEN synthesized THEN one policy holds both, and the group's first launch waits for it", () => {
    const { json } = fleetWith((fleet) => {
      fleet.grantModelStoreRead({ bucketArn: "arn:aws:s3:::acme-models" });
      fleet.addToInstanceRolePolicy({ sid: "ReadParameters", actions: ["ssm:GetParameter"], resources: ["arn:aws:ssm:us-east-1:123456789012:parameter/models/*"] });
    });
    const statements = grantStatements(json);
    expect(statements).toHaveLength(3);
    expect(statements[0]).not.toHaveProperty("condition");
    expect(statements[1]).toMatchObject({ resources: ["arn:aws:s3:::acme-models/*"] });
    expect(statements[2]).toMatchObject({ sid: "ReadParameters", actions: ["ssm:GetParameter"] });
    const policies = Object.keys(json.resource?.aws_iam_role_policy ?? {});
    expect(policies).toEqual([expect.stringMatching(/^Fleet_GrantsPolicy_/)]);
    expect(single(json, "aws_autoscaling_group").depends_on).toContain(`aws_iam_role_policy.${policies[0]}`);
  });

  test("GIVEN the warmup function WHEN a statement is added THEN its role gets a grants policy", () => {
    const dir = mkdtempSync(join(tmpdir(), "grants-bundle-"));
    try {
      const bundle = join(dir, "warmup.zip");
      writeFileSync(bundle, deterministicZip({ "index.js": Buffer.from("exports.handler = async () => ({});\n") }));
      const { json } = synth((scope) => {
        const fleet = new InferenceFleet(scope, "Fleet", fleetProps);
        new WarmupHook(scope, "Warmup", { fleet, bundle }).addToRolePolicy({ actions: ["s3:GetObject"], resources: ["arn:aws:s3:::payloads/*"] });
      });
      expect(Object.keys(json.resource?.aws_iam_role_policy ?? {}).filter((id) => id.includes("Grants"))).toEqual([expect.stringMatching(/^Warmup_GrantsPolicy_/)]);
      expect(grantStatements(json)).toEqual([{ effect: "Allow", actions: ["s3:GetObject"], resources: ["arn:aws:s3:::payloads/*"] }]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("GIVEN any IGrantable WHEN a model store is granted THEN it receives the statements", () => {
    const received: PolicyStatement[] = [];
    const grantee: IGrantable = { addToRolePolicy: (statement) => received.push(statement) };
    grantModelStoreRead(grantee, { bucketArn: "arn:aws:s3:::acme-models", prefix: "a/" });
    expect(received.map((s) => s.actions)).toEqual([["s3:ListBucket"], ["s3:GetObject"]]);
  });

  test.each<[string, (fleet: InferenceFleet) => void, RegExp]>([
    ["a bucket name", (f) => f.grantModelStoreRead({ bucketArn: "acme-models" }), /grantModelStoreRead: invalid store.bucketArn = "acme-models". Allowed: an S3 bucket ARN/],
    ["an object ARN", (f) => f.grantModelStoreRead({ bucketArn: "arn:aws:s3:::acme-models/resnet" }), /invalid store.bucketArn = "arn:aws:s3:::acme-models\/resnet"/],
    ["a key alias", (f) => f.grantModelStoreRead({ bucketArn: "arn:aws:s3:::m", kmsKeyArn: "alias/models" }), /invalid store.kmsKeyArn = "alias\/models". Allowed: a KMS key ARN/],
    ["a leading slash", (f) => f.grantModelStoreRead({ bucketArn: "arn:aws:s3:::m", prefix: "/models/" }), /invalid store.prefix = "\/models\/".*Fix: use "models\/"/],
    ["a bad sid", (f) => f.addToInstanceRolePolicy({ sid: "read-models", actions: ["s3:GetObject"], resources: ["*"] }), /InferenceFleet \(\S+Fleet\): invalid statement.sid = "read-models"/],
    [
      "a duplicate sid",
      (f) => {
        f.addToInstanceRolePolicy({ sid: "Read", actions: ["s3:GetObject"], resources: ["*"] });
        f.addToInstanceRolePolicy({ sid: "Read", actions: ["s3:GetObject"], resources: ["*"] });
      },
      /invalid statement.sid = "Read". Allowed: a sid not used by another grant/,
    ],
    ["no actions", (f) => f.addToInstanceRolePolicy({ actions: [], resources: ["*"] }), /invalid statement = .*Allowed: at least one action and one resource/],
    ["a malformed action", (f) => f.addToInstanceRolePolicy({ actions: ["GetObject"], resources: ["*"] }), /invalid statement.actions = "GetObject"/],
  ])("GIVEN %s WHEN granted THEN it fails naming the problem", (_label, grant, message) => {
    expect(() => fleetWith(grant)).toThrow(message);
  });
});
