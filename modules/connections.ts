import { Construct } from "constructs";
import { VpcSecurityGroupIngressRule } from "@cdktf/provider-aws/lib/vpc-security-group-ingress-rule";
import { VpcSecurityGroupEgressRule } from "@cdktf/provider-aws/lib/vpc-security-group-egress-rule";
import { PropValidationError, isUnresolved, requireIpv4Cidr, requirePrefixListId } from "./internal/validation";

/** A TCP port or port range of a flow between security groups. */
export class Port {
  /** One TCP port. */
  public static tcp(port: number): Port {
    return new Port(port, port);
  }

  /** A range of TCP ports, both ends included. */
  public static tcpRange(fromPort: number, toPort: number): Port {
    return new Port(fromPort, toPort);
  }

  private constructor(
    /** First port of the range. */
    public readonly fromPort: number,
    /** Last port of the range. */
    public readonly toPort: number,
  ) {
    for (const port of [fromPort, toPort]) {
      if (!isUnresolved(port) && !(Number.isInteger(port) && port >= 1 && port <= 65535)) {
        throw new PropValidationError("Port", "port", port, "an integer from 1 to 65535", "use a TCP port number");
      }
    }
    if (!isUnresolved(fromPort) && !isUnresolved(toPort) && fromPort > toPort) {
      throw new PropValidationError("Port", "tcpRange", [fromPort, toPort], "fromPort <= toPort", "swap the two ports");
    }
  }

  /** "Tcp443" or "Tcp1024-2048": part of the rules' construct ids, so keyed by value. */
  public get label(): string {
    const to = this.toPort === this.fromPort ? "" : `-${this.toPort}`;
    return `Tcp${this.fromPort}${to}`;
  }
}

/** Anything with a security group that flows can be allowed to or from. */
export interface IConnectable {
  /** The security group side of this construct. */
  readonly connections: Connections;
}

export interface ConnectionsProps {
  /** Security group of this side. */
  readonly securityGroupId: string;
  /** Short name of this side in rule ids and descriptions, e.g. "Fleet". */
  readonly name: string;
  /** Construct that owns the rules written on this side. @default - none: the group is managed elsewhere and no rule is written on it */
  readonly owner?: Construct;
  /** Tags added to the rules written on this side. @default - no tags */
  readonly tags?: Readonly<Record<string, string>>;
}

/**
 * The security group of one construct and the rules of its flows. Every flow between two groups
 * is written on both sides with one call: ingress on the receiving group, egress on the sending
 * group, each as its own rule resource named after the peer and the port (never after a list
 * position, so removing one flow leaves the others' Terraform addresses alone).
 */
export class Connections implements IConnectable {
  /**
   * The side of a construct that owns its security group: rules are written inside `owner`, and
   * named after its construct id (letters and digits of it).
   */
  public static forOwner(owner: Construct, securityGroupId: string, tags?: Readonly<Record<string, string>>): Connections {
    const name = owner.node.id.replace(/[^A-Za-z0-9]/g, "");
    return new Connections({ securityGroupId, name: /^[A-Za-z]/.test(name) ? name : `Group${name}`, owner, tags });
  }

  /** A security group managed elsewhere: flows to or from it write only the other side's rule. */
  public static fromSecurityGroupId(name: string, securityGroupId: string): Connections {
    return new Connections({ name, securityGroupId });
  }

  /** Security group of this side. */
  public readonly securityGroupId: string;
  /** Short name of this side in rule ids and descriptions. */
  public readonly name: string;
  private readonly owner?: Construct;
  private readonly tags: Readonly<Record<string, string>>;

  constructor(props: ConnectionsProps) {
    if (!isUnresolved(props.name) && !/^[A-Za-z][A-Za-z0-9]*$/.test(props.name)) {
      throw new PropValidationError("Connections", "name", props.name, "letters and digits, starting with a letter", "use a PascalCase name such as \"Fleet\"");
    }
    this.securityGroupId = props.securityGroupId;
    this.name = props.name;
    this.owner = props.owner;
    this.tags = props.tags ?? {};
  }

  /** This object, so a Connections is itself connectable. */
  public get connections(): Connections {
    return this;
  }

  /** Lets `peer` open connections to this side on `port`: ingress here, egress on the peer. */
  public allowFrom(peer: IConnectable, port: Port, description: string): void {
    const other = peer.connections;
    this.ingressFromGroup(other, port, description);
    other.egressToGroup(this, port, description);
  }

  /** Lets this side open connections to `peer` on `port`: egress here, ingress on the peer. */
  public allowTo(peer: IConnectable, port: Port, description: string): void {
    peer.connections.allowFrom(this, port, description);
  }

  /** Admits clients from an IPv4 CIDR block on `port` (ingress only: the clients are not ours). */
  public allowFromCidr(cidr: string, port: Port, description: string): void {
    requireIpv4Cidr(this.owner ?? `Connections ${this.name}`, "cidr", cidr);
    new VpcSecurityGroupIngressRule(this.requireOwner(), `Ingress${port.label}FromCidr${cidrKey(cidr)}`, {
      ...this.rule(port, description),
      cidrIpv4: cidr,
    });
  }

  /** Admits clients from a managed prefix list (e.g. a corporate VPN's ranges) on `port` (ingress only). */
  public allowFromPrefixList(prefixListId: string, port: Port, description: string): void {
    requirePrefixListId(this.owner ?? `Connections ${this.name}`, "prefixListId", prefixListId);
    new VpcSecurityGroupIngressRule(this.requireOwner(), `Ingress${port.label}FromPrefixList${prefixListId.slice(3)}`, {
      ...this.rule(port, description),
      prefixListId,
    });
  }

  /** Lets this side reach an IPv4 CIDR block on `port` (egress only). */
  public allowToCidr(cidr: string, port: Port, description: string): void {
    requireIpv4Cidr(this.owner ?? `Connections ${this.name}`, "cidr", cidr);
    new VpcSecurityGroupEgressRule(this.requireOwner(), `Egress${port.label}ToCidr${cidrKey(cidr)}`, {
      ...this.rule(port, description),
      cidrIpv4: cidr,
    });
  }

  /**
   * Lets this side reach a managed prefix list on `port` (egress only), such as the one of a
   * DynamoDB or S3 gateway endpoint; `name` (PascalCase) keys the rule, because the id is
   * usually known only at apply time.
   */
  public allowToPrefixList(name: string, prefixListId: string, port: Port, description: string): void {
    if (!/^[A-Z][A-Za-z0-9]*$/.test(name)) {
      throw new PropValidationError(this.owner ?? `Connections ${this.name}`, "name", name, "PascalCase letters and digits", 'use a name such as "DynamoDb"');
    }
    if (!isUnresolved(prefixListId)) requirePrefixListId(this.owner ?? `Connections ${this.name}`, "prefixListId", prefixListId);
    new VpcSecurityGroupEgressRule(this.requireOwner(), `Egress${port.label}ToPrefixList${name}`, {
      ...this.rule(port, description),
      prefixListId,
    });
  }

  private ingressFromGroup(peer: Connections, port: Port, description: string): void {
    if (!this.owner) return;
    new VpcSecurityGroupIngressRule(this.owner, `Ingress${port.label}From${peer.name}`, {
      ...this.rule(port, description),
      referencedSecurityGroupId: peer.securityGroupId,
    });
  }

  private egressToGroup(peer: Connections, port: Port, description: string): void {
    if (!this.owner) return;
    new VpcSecurityGroupEgressRule(this.owner, `Egress${port.label}To${peer.name}`, {
      ...this.rule(port, description),
      referencedSecurityGroupId: peer.securityGroupId,
    });
  }

  private rule(port: Port, description: string) {
    return { securityGroupId: this.securityGroupId, ipProtocol: "tcp", fromPort: port.fromPort, toPort: port.toPort, description, tags: { ...this.tags } };
  }

  private requireOwner(): Construct {
    if (!this.owner) {
      throw new PropValidationError(
        `Connections ${this.name}`,
        "owner",
        undefined,
        "a construct that owns this security group's rules",
        "write CIDR rules on a group managed elsewhere where that group is defined",
      );
    }
    return this.owner;
  }
}

/** "10.0.0.0/8" -> "10-0-0-0-8": a construct id part that names the block itself. */
function cidrKey(cidr: string): string {
  if (isUnresolved(cidr)) {
    throw new PropValidationError(
      "Connections",
      "cidr",
      cidr,
      "a CIDR block known at synth time (it names the rule's Terraform address)",
      "pass the literal block, e.g. Network's cidrBlock attribute, or allow the peer's security group instead",
    );
  }
  return cidr.replace(/[./]/g, "-");
}
