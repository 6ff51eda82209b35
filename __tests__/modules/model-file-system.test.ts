import { Construct } from "constructs";
import { EfsAccessPoint } from "@cdktf/provider-aws/lib/efs-access-point";
import { EfsFileSystem } from "@cdktf/provider-aws/lib/efs-file-system";
import { EfsMountTarget } from "@cdktf/provider-aws/lib/efs-mount-target";
import { ModelFileSystem, ModelFileSystemProps, ModelFileSystemThroughput } from "../../modules/model-file-system";
import { resources, synth } from "../support/synth";
import { TestGrantee, statements } from "../support/async";

function fileSystem(overrides: Partial<ModelFileSystemProps> = {}, readers = 1) {
  return synth((scope: Construct) => {
    const models = new ModelFileSystem(scope, "Models", {
      name: "infer-models",
      vpcId: "vpc-1",
      mountTargets: { "ap-northeast-1a": "subnet-a", "ap-northeast-1c": "subnet-c" },
      ...overrides,
    });
    for (let i = 0; i < readers; i++) models.grantReadOnlyMount(new TestGrantee(scope, `Reader${i}`), `arn:aws:iam::123456789012:role/reader-${i}`);
  });
}

describe("ModelFileSystem", () => {
  describe("GIVEN two AZs and one reader", () => {
    const { text, json } = fileSystem();

    test("WHEN synthesized THEN an encrypted elastic file system with one mount target per AZ, keyed by AZ", () => {
      expect(text).toHaveResourceWithProperties(EfsFileSystem, { encrypted: true, throughput_mode: "elastic", tags: { Name: "infer-models" } });
      expect(Object.keys(resources(json, "aws_efs_mount_target")).sort()).toEqual([expect.stringMatching(/^Models_MountTarget-ap-northeast-1a/), expect.stringMatching(/^Models_MountTarget-ap-northeast-1c/)]);
      expect(text).toHaveResourceWithProperties(EfsMountTarget, { subnet_id: "subnet-c", security_groups: [expect.stringMatching(/Models_SecurityGroup/)] });
    });

    test("WHEN synthesized THEN the access point fixes the POSIX user and creates /models owned by it", () => {
      expect(text).toHaveResourceWithProperties(EfsAccessPoint, {
        posix_user: { uid: 1000, gid: 1000 },
        root_directory: { path: "/models", creation_info: { owner_uid: 1000, owner_gid: 1000, permissions: "755" } },
      });
    });

    test("WHEN synthesized THEN the file-system policy denies non-TLS access and lets only the reader ClientMount through the access point", () => {
      const policy = statements(json, "Models_PolicyDocument");
      expect(policy).toEqual([
        expect.objectContaining({ sid: "DenyWithoutTls", effect: "Deny", condition: [{ test: "Bool", variable: "aws:SecureTransport", values: ["false"] }] }),
        expect.objectContaining({
          sid: "ReadOnlyMountThroughAccessPoint",
          effect: "Allow",
          principals: [{ type: "AWS", identifiers: ["arn:aws:iam::123456789012:role/reader-0"] }],
          actions: ["elasticfilesystem:ClientMount"],
          condition: expect.arrayContaining([expect.objectContaining({ variable: "elasticfilesystem:AccessPointArn" }), expect.objectContaining({ variable: "elasticfilesystem:AccessedViaMountTarget", values: ["true"] })]),
        }),
      ]);
      expect(JSON.stringify(policy)).not.toMatch(/ClientWrite|ClientRootAccess/);
      expect(statements(json, "Reader0_GrantsPolicyDocument")).toEqual([
        expect.objectContaining({ actions: ["elasticfilesystem:ClientMount"], condition: [expect.objectContaining({ test: "StringEquals", variable: "elasticfilesystem:AccessPointArn" })] }),
      ]);
    });
  });

  test("GIVEN a customer key, bursting throughput and no reader WHEN synthesized THEN the key encrypts and the policy only denies non-TLS", () => {
    const key = "arn:aws:kms:ap-northeast-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab";
    const { text, json } = fileSystem({ kmsKeyArn: key, throughput: ModelFileSystemThroughput.BURSTING }, 0);
    expect(text).toHaveResourceWithProperties(EfsFileSystem, { kms_key_id: key, throughput_mode: "bursting" });
    expect(statements(json, "Models_PolicyDocument").map((s) => s.sid)).toEqual(["DenyWithoutTls"]);
  });

  test.each<[string, Partial<ModelFileSystemProps>, RegExp]>([
    ["a name with underscores", { name: "infer_models" }, /invalid name/],
    ["no mount targets", { mountTargets: {} }, /invalid mountTargets/],
    ["a mount target key with a dot", { mountTargets: { "az.a": "subnet-a" } }, /invalid mountTargets = "az\.a"/],
    ["one subnet twice", { mountTargets: { a: "subnet-a", b: "subnet-a" } }, /invalid mountTargets = "subnet-a"/],
    ["a key alias", { kmsKeyArn: "alias/models" }, /invalid kmsKeyArn/],
    ["root directory /", { rootDirectory: "/" }, /invalid rootDirectory/],
    ["a negative uid", { posixUser: { uid: -1 } }, /invalid posixUser\.uid/],
    ["a gid that is not an integer", { posixUser: { gid: 1.5 } }, /invalid posixUser\.gid/],
    ["permissions 999", { rootDirectoryPermissions: "999" }, /invalid rootDirectoryPermissions/],
  ])("GIVEN %s WHEN synthesized THEN it is refused", (_name, overrides, error) => {
    expect(() => fileSystem(overrides)).toThrow(error);
  });
});
