import { Construct } from "constructs";
import { ITerraformDependable } from "cdktf";
import { SecurityGroup } from "@cdktf/provider-aws/lib/security-group";
import { VpcEndpoint } from "@cdktf/provider-aws/lib/vpc-endpoint";
import { DataAwsRegion } from "@cdktf/provider-aws/lib/data-aws-region";
import { Connections, IConnectable, Port } from "./connections";
import { PropValidationError, isUnresolved, requireNonEmpty, requireResourceName } from "./internal/validation";

export interface VpcEndpointsProps {
  /** Name prefix of the endpoints' security group and tags. */
  readonly name: string;
  /** VPC of the endpoints. */
  readonly vpcId: string;
  /** Subnets that get an endpoint network interface (the private subnets of the callers). */
  readonly subnetIds: readonly string[];
  /** Service names after "com.amazonaws.<region>.", e.g. "ec2", "autoscaling", "sqs". @default ["ec2", "autoscaling"] */
  readonly services?: readonly string[];
  /** Security groups admitted to the endpoints on 443, by a PascalCase name that keys their rules. @default - none (add callers with allowHttpsFrom) */
  readonly allowedSecurityGroups?: Readonly<Record<string, string>>;
  /** Resolve the services' public DNS names to the endpoints inside the VPC. @default true */
  readonly privateDns?: boolean;
  /** Tags added to every resource. @default - no extra tags */
  readonly tags?: Readonly<Record<string, string>>;
}

/**
 * Interface VPC endpoints so that functions in private subnets reach AWS APIs without NAT, behind
 * a security group that admits 443 from named security groups only.
 */
export class VpcEndpoints extends Construct implements IConnectable {
  /** Security group of the endpoint network interfaces. */
  public readonly securityGroupId: string;
  /** The endpoints' security group side: callers are admitted with one call that writes both sides. */
  public readonly connections: Connections;
  /** Endpoint ids by service name. */
  public readonly endpointIds: Readonly<Record<string, string>>;
  /** The endpoint resources, for depends_on. */
  public readonly endpoints: readonly ITerraformDependable[];

  constructor(scope: Construct, id: string, props: VpcEndpointsProps) {
    super(scope, id);
    const services = props.services ?? ["ec2", "autoscaling"];
    validateEndpointProps(this, props, services);
    const tags = props.tags ?? {};
    // A name prefix with create_before_destroy: a replacement creates the new group first.
    const securityGroup = new SecurityGroup(this, "SecurityGroup", {
      namePrefix: `${props.name}-endpoints-`,
      description: `Interface endpoints of ${props.name}: HTTPS from named security groups only`,
      vpcId: props.vpcId,
      tags: { ...tags, Name: `${props.name}-endpoints` },
      lifecycle: { createBeforeDestroy: true },
    });
    this.securityGroupId = securityGroup.id;
    this.connections = Connections.forOwner(this, securityGroup.id, tags);
    for (const [name, groupId] of Object.entries(props.allowedSecurityGroups ?? {})) {
      this.allowHttpsFrom(Connections.fromSecurityGroupId(name, groupId));
    }

    const region = new DataAwsRegion(this, "Region");
    const endpoints = services.map(
      (service) =>
        [
          service,
          new VpcEndpoint(this, `Endpoint-${service}`, {
            vpcId: props.vpcId,
            serviceName: `com.amazonaws.${region.name}.${service}`,
            vpcEndpointType: "Interface",
            privateDnsEnabled: props.privateDns ?? true,
            subnetIds: [...props.subnetIds],
            securityGroupIds: [securityGroup.id],
            tags: { ...tags, Name: `${props.name}-${service}` },
          }),
        ] as const,
    );
    this.endpoints = endpoints.map(([, endpoint]) => endpoint);
    this.endpointIds = Object.fromEntries(endpoints.map(([service, endpoint]) => [service, endpoint.id]));
  }

  /** Admits HTTPS from a caller's security group: ingress on the endpoints, egress on the caller. */
  public allowHttpsFrom(caller: IConnectable): void {
    this.connections.allowFrom(caller, Port.tcp(443), "HTTPS to the AWS API endpoints");
  }
}

function validateEndpointProps(scope: Construct, props: VpcEndpointsProps, services: readonly string[]): void {
  requireResourceName(scope, "name", props.name, 1, 48, "use a short name; it prefixes the security group and Name tags");
  requireNonEmpty(scope, "subnetIds", props.subnetIds, "pass the private subnet ids the callers run in");
  requireNonEmpty(scope, "services", services, 'list at least one service, for example ["ec2", "autoscaling"]');
  if (isUnresolved(services)) return;
  const invalid = services.find((s) => !/^[a-z0-9][a-z0-9.-]*$/.test(s));
  if (invalid !== undefined || new Set(services).size !== services.length) {
    throw new PropValidationError(
      scope,
      "services",
      services,
      'distinct service names as they follow "com.amazonaws.<region>." (lowercase letters, digits, dots, hyphens)',
      'use for example ["ec2", "autoscaling"], without the com.amazonaws prefix and without duplicates',
    );
  }
}
