import { Construct } from "constructs";
import { ITerraformDependable } from "cdktf";
import { SecurityGroup } from "@cdktf/provider-aws/lib/security-group";
import { VpcEndpoint } from "@cdktf/provider-aws/lib/vpc-endpoint";
import { VpcSecurityGroupIngressRule } from "@cdktf/provider-aws/lib/vpc-security-group-ingress-rule";
import { DataAwsRegion } from "@cdktf/provider-aws/lib/data-aws-region";
import { PropValidationError, isUnresolved, requireNonEmpty } from "./internal/validation";

export interface VpcEndpointsProps {
  /** Name prefix of the endpoints' security group and tags. */
  readonly name: string;
  /** VPC of the endpoints. */
  readonly vpcId: string;
  /** Subnets that get an endpoint network interface (the private subnets of the callers). */
  readonly subnetIds: readonly string[];
  /** Service names after "com.amazonaws.<region>.", e.g. "ec2", "autoscaling", "sqs". @default ["ec2", "autoscaling"] */
  readonly services?: readonly string[];
  /** Security groups admitted to the endpoints on 443. @default [] (add callers with allowHttpsFrom) */
  readonly allowedSecurityGroupIds?: readonly string[];
  /** Resolve the services' public DNS names to the endpoints inside the VPC. @default true */
  readonly privateDns?: boolean;
  /** Tags added to every resource. @default - no extra tags */
  readonly tags?: Readonly<Record<string, string>>;
}

/**
 * Interface VPC endpoints so that functions in private subnets reach AWS APIs without NAT, behind
 * a security group that admits 443 from named security groups only.
 */
export class VpcEndpoints extends Construct {
  /** Security group of the endpoint network interfaces. */
  public readonly securityGroupId: string;
  /** Endpoint ids by service name. */
  public readonly endpointIds: Readonly<Record<string, string>>;
  /** The endpoint resources, for depends_on. */
  public readonly endpoints: readonly ITerraformDependable[];
  private readonly tags: Readonly<Record<string, string>>;

  constructor(scope: Construct, id: string, props: VpcEndpointsProps) {
    super(scope, id);
    const services = props.services ?? ["ec2", "autoscaling"];
    validateEndpointProps(props, services);
    this.tags = props.tags ?? {};
    const securityGroup = new SecurityGroup(this, "SecurityGroup", {
      name: `${props.name}-endpoints`,
      description: `Interface endpoints of ${props.name}: HTTPS from named security groups only`,
      vpcId: props.vpcId,
      tags: { ...this.tags, Name: `${props.name}-endpoints` },
    });
    this.securityGroupId = securityGroup.id;
    (props.allowedSecurityGroupIds ?? []).forEach((groupId, i) => this.allowHttpsFrom(`Allowed${i}`, groupId));

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
            tags: { ...this.tags, Name: `${props.name}-${service}` },
          }),
        ] as const,
    );
    this.endpoints = endpoints.map(([, endpoint]) => endpoint);
    this.endpointIds = Object.fromEntries(endpoints.map(([service, endpoint]) => [service, endpoint.id]));
  }

  /** Admits HTTPS from a security group; the id becomes part of the rule's Terraform address. */
  public allowHttpsFrom(id: string, securityGroupId: string): void {
    new VpcSecurityGroupIngressRule(this, `HttpsFrom${id}`, {
      securityGroupId: this.securityGroupId,
      referencedSecurityGroupId: securityGroupId,
      ipProtocol: "tcp",
      fromPort: 443,
      toPort: 443,
      description: `HTTPS to the AWS API endpoints (${id})`,
      tags: this.tags,
    });
  }
}

function validateEndpointProps(props: VpcEndpointsProps, services: readonly string[]): void {
  requireNonEmpty("VpcEndpoints", "subnetIds", props.subnetIds, "pass the private subnet ids the callers run in");
  requireNonEmpty("VpcEndpoints", "services", services, 'list at least one service, for example ["ec2", "autoscaling"]');
  if (isUnresolved(services)) return;
  const invalid = services.find((s) => !/^[a-z0-9][a-z0-9.-]*$/.test(s));
  if (invalid !== undefined || new Set(services).size !== services.length) {
    throw new PropValidationError(
      "VpcEndpoints",
      "services",
      services,
      'distinct service names as they follow "com.amazonaws.<region>." (lowercase letters, digits, dots, hyphens)',
      'use for example ["ec2", "autoscaling"], without the com.amazonaws prefix and without duplicates',
    );
  }
}
