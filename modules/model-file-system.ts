import { Construct } from "constructs";
import { ITerraformDependable, Lazy } from "cdktf";
import { DataAwsIamPolicyDocument, DataAwsIamPolicyDocumentStatement, dataAwsIamPolicyDocumentStatementToTerraform } from "@cdktf/provider-aws/lib/data-aws-iam-policy-document";
import { EfsAccessPoint } from "@cdktf/provider-aws/lib/efs-access-point";
import { EfsFileSystem } from "@cdktf/provider-aws/lib/efs-file-system";
import { EfsFileSystemPolicy } from "@cdktf/provider-aws/lib/efs-file-system-policy";
import { EfsMountTarget } from "@cdktf/provider-aws/lib/efs-mount-target";
import { SecurityGroup } from "@cdktf/provider-aws/lib/security-group";
import { Connections, IConnectable } from "./connections";
import { IGrantable } from "./grants";
import { KMS_KEY, PropValidationError, isUnresolved, requireArn, requireIntegerInRange, requireResourceName } from "./internal/validation";

/** How the file system's throughput scales. */
export enum ModelFileSystemThroughput {
  /** Pay per GB transferred; bursts to the regional maximum when many tasks load a model at once. */
  ELASTIC = "elastic",
  /** Throughput grows with the stored size (50 KiB/s per GiB plus burst credits): slow for a few GB of models. */
  BURSTING = "bursting",
}

/** The POSIX identity every access through the access point uses, whatever the container's user. */
export interface ModelFileSystemPosixUser {
  /** User id. @default 1000 */
  readonly uid?: number;
  /** Group id. @default 1000 */
  readonly gid?: number;
}

export interface ModelFileSystemProps {
  /** Name of the file system (Name tag) and prefix of its security group, 1 to 48 letters, digits and hyphens. */
  readonly name: string;
  /** VPC of the mount targets. */
  readonly vpcId: string;
  /** Subnet of each mount target keyed by a stable name, usually its AZ ({ "ap-northeast-1a": "subnet-..." }); one per AZ. */
  readonly mountTargets: Readonly<Record<string, string>>;
  /** Customer managed KMS key for encryption at rest. @default - the AWS managed key aws/elasticfilesystem */
  readonly kmsKeyArn?: string;
  /** Throughput mode. @default ModelFileSystemThroughput.ELASTIC */
  readonly throughput?: ModelFileSystemThroughput;
  /** Directory the access point exposes as "/", created on first use. @default "/models" */
  readonly rootDirectory?: string;
  /** POSIX user of the access point and owner of the root directory. @default - uid 1000, gid 1000 */
  readonly posixUser?: ModelFileSystemPosixUser;
  /** Octal permissions of the root directory when EFS creates it. @default "755" */
  readonly rootDirectoryPermissions?: string;
  /** Tags added to every resource. @default - no extra tags */
  readonly tags?: Readonly<Record<string, string>>;
}

/** What a service needs to mount a model file system. */
export interface IModelFileSystem extends IConnectable {
  /** Id of the file system. */
  readonly fileSystemId: string;
  /** ARN of the file system. */
  readonly fileSystemArn: string;
  /** Id of the access point tasks mount through. @default - none: the file system root is mounted */
  readonly accessPointId?: string;
  /** ARN of the access point. @default - none */
  readonly accessPointArn?: string;
  /** Mount targets (and policy) a task must wait for before it can mount. */
  readonly mountDependables: readonly ITerraformDependable[];
  /** Lets a task role mount the file system read-only through the access point. */
  grantReadOnlyMount(grantee: IGrantable, roleArn: string): void;
}

/**
 * An encrypted EFS file system for models: mount targets in the given subnets behind their own
 * security group (NFS 2049 admitted per client through Connections), an access point with a fixed
 * POSIX user and root directory, and a file-system policy that refuses connections without TLS
 * and allows only the granted roles, read-only, through the access point. A client mounting
 * without IAM authorization is anonymous, matched by no Allow, and refused.
 */
export class ModelFileSystem extends Construct implements IModelFileSystem {
  /** Id of the file system. */
  public readonly fileSystemId: string;
  /** ARN of the file system. */
  public readonly fileSystemArn: string;
  /** Id of the access point. */
  public readonly accessPointId: string;
  /** ARN of the access point. */
  public readonly accessPointArn: string;
  /** Security group of the mount targets. */
  public readonly securityGroupId: string;
  /** The mount targets' security group side: clients are admitted on 2049 with one call. */
  public readonly connections: Connections;
  /** Mount targets and the file-system policy, for depends_on. */
  public readonly mountDependables: readonly ITerraformDependable[];
  private readonly readerRoleArns: string[] = [];

  constructor(scope: Construct, id: string, props: ModelFileSystemProps) {
    super(scope, id);
    validateFileSystemProps(this, props);
    const tags = props.tags ?? {};
    const fileSystem = new EfsFileSystem(this, "FileSystem", {
      encrypted: true,
      kmsKeyId: props.kmsKeyArn,
      throughputMode: props.throughput ?? ModelFileSystemThroughput.ELASTIC,
      tags: { ...tags, Name: props.name },
    });
    this.fileSystemId = fileSystem.id;
    this.fileSystemArn = fileSystem.arn;

    const securityGroup = new SecurityGroup(this, "SecurityGroup", {
      namePrefix: `${props.name}-efs-`,
      description: `Mount targets of ${props.name}: NFS from admitted clients only`,
      vpcId: props.vpcId,
      tags: { ...tags, Name: `${props.name}-efs` },
      lifecycle: { createBeforeDestroy: true },
    });
    this.securityGroupId = securityGroup.id;
    this.connections = Connections.forOwner(this, securityGroup.id, tags);
    // Keyed by the caller's name for the subnet (its AZ): subnet ids are unknown until apply, and a
    // position would move every later mount target when one is removed.
    const mountTargets = Object.entries(props.mountTargets).map(
      ([key, subnetId]) => new EfsMountTarget(this, `MountTarget-${key}`, { fileSystemId: fileSystem.id, subnetId, securityGroups: [securityGroup.id] }),
    );

    const user = { uid: props.posixUser?.uid ?? 1000, gid: props.posixUser?.gid ?? 1000 };
    const accessPoint = new EfsAccessPoint(this, "AccessPoint", {
      fileSystemId: fileSystem.id,
      posixUser: user,
      rootDirectory: {
        path: props.rootDirectory ?? "/models",
        creationInfo: { ownerUid: user.uid, ownerGid: user.gid, permissions: props.rootDirectoryPermissions ?? "755" },
      },
      tags: { ...tags, Name: props.name },
    });
    this.accessPointId = accessPoint.id;
    this.accessPointArn = accessPoint.arn;

    const document = new DataAwsIamPolicyDocument(this, "PolicyDocument", {
      statement: Lazy.anyValue({ produce: () => this.policyStatements().map(dataAwsIamPolicyDocumentStatementToTerraform) }) as never,
    });
    const policy = new EfsFileSystemPolicy(this, "Policy", { fileSystemId: fileSystem.id, policy: document.json });
    this.mountDependables = [...mountTargets, policy];
  }

  /**
   * Lets a task role mount read-only through the access point: elasticfilesystem:ClientMount
   * (never ClientWrite or ClientRootAccess) in the role's policy and in the file-system policy.
   */
  public grantReadOnlyMount(grantee: IGrantable, roleArn: string): void {
    this.readerRoleArns.push(roleArn);
    grantee.addToRolePolicy({
      actions: ["elasticfilesystem:ClientMount"],
      resources: [this.fileSystemArn],
      conditions: [{ test: "StringEquals", variable: "elasticfilesystem:AccessPointArn", values: [this.accessPointArn] }],
    });
  }

  private policyStatements(): DataAwsIamPolicyDocumentStatement[] {
    const statements: DataAwsIamPolicyDocumentStatement[] = [
      {
        sid: "DenyWithoutTls",
        effect: "Deny",
        principals: [{ type: "AWS", identifiers: ["*"] }],
        actions: ["*"],
        resources: [this.fileSystemArn],
        condition: [{ test: "Bool", variable: "aws:SecureTransport", values: ["false"] }],
      },
    ];
    if (this.readerRoleArns.length > 0) {
      statements.push({
        sid: "ReadOnlyMountThroughAccessPoint",
        effect: "Allow",
        principals: [{ type: "AWS", identifiers: [...this.readerRoleArns] }],
        actions: ["elasticfilesystem:ClientMount"],
        resources: [this.fileSystemArn],
        condition: [
          { test: "StringEquals", variable: "elasticfilesystem:AccessPointArn", values: [this.accessPointArn] },
          { test: "Bool", variable: "elasticfilesystem:AccessedViaMountTarget", values: ["true"] },
        ],
      });
    }
    return statements;
  }
}

function validateFileSystemProps(scope: Construct, props: ModelFileSystemProps): void {
  requireResourceName(scope, "name", props.name, 1, 48, "use a short name; it tags the file system and prefixes its security group");
  const keys = Object.keys(props.mountTargets);
  if (keys.length === 0) {
    throw new PropValidationError(scope, "mountTargets", props.mountTargets, "at least one subnet, keyed by a stable name such as its AZ", 'pass { "<az>": "<private subnet id>" } for each AZ the tasks run in');
  }
  const badKey = keys.find((key) => !/^[A-Za-z0-9-]{1,64}$/.test(key));
  if (badKey !== undefined) {
    throw new PropValidationError(scope, "mountTargets", badKey, "keys of 1 to 64 letters, digits and hyphens (they become Terraform addresses)", 'key each subnet by its AZ, for example "ap-northeast-1a"');
  }
  const subnets = Object.values(props.mountTargets).filter((s) => !isUnresolved(s));
  const duplicate = subnets.find((s, i) => subnets.indexOf(s) !== i);
  if (duplicate !== undefined) {
    throw new PropValidationError(scope, "mountTargets", duplicate, "one mount target per subnet (and AZ)", `remove the second entry for ${duplicate}`);
  }
  if (props.kmsKeyArn !== undefined) requireArn(scope, "kmsKeyArn", props.kmsKeyArn, [KMS_KEY], "pass the ARN of a customer managed key (not an alias), or leave it out for the AWS managed key");
  const root = props.rootDirectory;
  if (root !== undefined && !isUnresolved(root) && !(/^\/[A-Za-z0-9._/-]*$/.test(root) && root.length <= 100 && root !== "/")) {
    throw new PropValidationError(scope, "rootDirectory", root, "an absolute directory other than / (at most 100 characters)", 'use a directory for the models, for example "/models"');
  }
  requireIntegerInRange(scope, "posixUser.uid", props.posixUser?.uid, 0, 4294967295, "use a POSIX user id");
  requireIntegerInRange(scope, "posixUser.gid", props.posixUser?.gid, 0, 4294967295, "use a POSIX group id");
  const permissions = props.rootDirectoryPermissions;
  if (permissions !== undefined && !/^[0-7]{3,4}$/.test(permissions)) {
    throw new PropValidationError(scope, "rootDirectoryPermissions", permissions, "octal permissions such as 755 or 0750", 'use "755" (owner writes, tasks read)');
  }
}
