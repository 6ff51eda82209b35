import { VpcEndpoint } from "@cdktf/provider-aws/lib/vpc-endpoint";
import { VpcSecurityGroupIngressRule } from "@cdktf/provider-aws/lib/vpc-security-group-ingress-rule";
import { Connections } from "../../modules/connections";
import { VpcEndpoints, VpcEndpointsProps } from "../../modules/vpc-endpoints";
import { count, resources, synth } from "../support/synth";

const base: VpcEndpointsProps = { name: "test", vpcId: "vpc-1", subnetIds: ["subnet-a", "subnet-b"] };

function endpoints(overrides: Partial<VpcEndpointsProps> = {}, extra?: (e: VpcEndpoints) => void) {
  return synth((scope) => {
    const construct = new VpcEndpoints(scope, "Endpoints", { ...base, ...overrides });
    extra?.(construct);
  });
}

describe("VpcEndpoints", () => {
  test("GIVEN defaults WHEN synthesized THEN ec2 and autoscaling interface endpoints with private DNS in the given subnets", () => {
    const { text, json } = endpoints();
    expect(count(json, "aws_vpc_endpoint")).toBe(2);
    for (const service of ["ec2", "autoscaling"]) {
      expect(text).toHaveResourceWithProperties(VpcEndpoint, {
        service_name: expect.stringMatching(new RegExp(`^com\\.amazonaws\\.\\$\\{data\\.aws_region\\.\\w+\\.name\\}\\.${service}$`)),
        vpc_endpoint_type: "Interface",
        private_dns_enabled: true,
        subnet_ids: ["subnet-a", "subnet-b"],
      });
    }
    expect(count(json, "aws_vpc_security_group_ingress_rule")).toBe(0);
  });

  test("GIVEN services, allowed groups and private DNS off WHEN synthesized THEN 443 is admitted from those groups only", () => {
    const { text, json } = endpoints({ services: ["sqs"], allowedSecurityGroups: { Batch: "sg-a" }, privateDns: false }, (e) => e.allowHttpsFrom(Connections.fromSecurityGroupId("Worker", "sg-b")));
    expect(count(json, "aws_vpc_endpoint")).toBe(1);
    expect(text).toHaveResourceWithProperties(VpcEndpoint, { private_dns_enabled: false });
    const rules = Object.values(resources(json, "aws_vpc_security_group_ingress_rule"));
    expect(rules.map((r) => r.referenced_security_group_id).sort()).toEqual(["sg-a", "sg-b"]);
    expect(text).toHaveResourceWithProperties(VpcSecurityGroupIngressRule, { from_port: 443, to_port: 443, ip_protocol: "tcp" });
    expect(rules.every((r) => r.cidr_ipv4 === undefined)).toBe(true);
  });

  test.each<[Partial<VpcEndpointsProps>, RegExp]>([
    [{ subnetIds: [] }, /VpcEndpoints \(\S+\): invalid subnetIds = \[\]/],
    [{ services: [] }, /invalid services = \[\]/],
    [{ services: ["com.amazonaws.us-east-1.ec2", "EC2"] }, /invalid services = .*Fix: use for example \["ec2", "autoscaling"\], without the com.amazonaws prefix/],
    [{ services: ["ec2", "ec2"] }, /invalid services = \["ec2","ec2"\]/],
  ])("GIVEN %j WHEN synthesized THEN it fails naming the prop", (overrides, message) => {
    expect(() => endpoints(overrides)).toThrow(message);
  });
});
