import { Construct } from "constructs";
import { VpcSecurityGroupEgressRule } from "@cdktf/provider-aws/lib/vpc-security-group-egress-rule";
import { VpcSecurityGroupIngressRule } from "@cdktf/provider-aws/lib/vpc-security-group-ingress-rule";
import { Vpc } from "@cdktf/provider-aws/lib/vpc";
import { Connections, Port } from "../../modules/connections";
import { resources, synth } from "../support/synth";

function owned(scope: Construct, id: string, securityGroupId: string): Connections {
  return Connections.forOwner(new Construct(scope, id), securityGroupId, { Team: "ml" });
}

describe("Connections", () => {
  test("GIVEN two owned groups WHEN one allows the other THEN ingress is written on the receiver and egress on the sender", () => {
    const { text, json } = synth((scope) => {
      const fleet = owned(scope, "Fleet", "sg-fleet");
      fleet.allowFrom(owned(scope, "Alb", "sg-alb"), Port.tcp(8080), "ALB to the app");
    });
    expect(text).toHaveResourceWithProperties(VpcSecurityGroupIngressRule, {
      security_group_id: "sg-fleet",
      referenced_security_group_id: "sg-alb",
      ip_protocol: "tcp",
      from_port: 8080,
      to_port: 8080,
      description: "ALB to the app",
      tags: { Team: "ml" },
    });
    expect(text).toHaveResourceWithProperties(VpcSecurityGroupEgressRule, {
      security_group_id: "sg-alb",
      referenced_security_group_id: "sg-fleet",
      from_port: 8080,
      to_port: 8080,
    });
    expect(Object.keys(resources(json, "aws_vpc_security_group_ingress_rule"))).toEqual([expect.stringMatching(/^Fleet_IngressTcp8080FromAlb_/)]);
    expect(Object.keys(resources(json, "aws_vpc_security_group_egress_rule"))).toEqual([expect.stringMatching(/^Alb_EgressTcp8080ToFleet_/)]);
  });

  test("GIVEN allowTo WHEN synthesized THEN it is the same flow seen from the sender", () => {
    const { json } = synth((scope) => owned(scope, "Lambda", "sg-fn").allowTo(owned(scope, "Endpoints", "sg-ep"), Port.tcp(443), "APIs"));
    expect(Object.values(resources(json, "aws_vpc_security_group_ingress_rule"))).toEqual([expect.objectContaining({ security_group_id: "sg-ep", referenced_security_group_id: "sg-fn" })]);
    expect(Object.values(resources(json, "aws_vpc_security_group_egress_rule"))).toEqual([expect.objectContaining({ security_group_id: "sg-fn", referenced_security_group_id: "sg-ep" })]);
  });

  test("GIVEN a group managed elsewhere WHEN it is allowed in THEN only our side's rule is written", () => {
    const { json } = synth((scope) => owned(scope, "Fleet", "sg-fleet").allowFrom(Connections.fromSecurityGroupId("Monitoring", "sg-mon"), Port.tcpRange(9000, 9100), "metrics"));
    expect(Object.values(resources(json, "aws_vpc_security_group_ingress_rule"))).toEqual([
      expect.objectContaining({ security_group_id: "sg-fleet", referenced_security_group_id: "sg-mon", from_port: 9000, to_port: 9100 }),
    ]);
    expect(resources(json, "aws_vpc_security_group_egress_rule")).toEqual({});
  });

  test("GIVEN CIDR rules WHEN the first block is removed THEN the other rules keep their addresses", () => {
    const addresses = (cidrs: string[]) =>
      Object.keys(
        resources(
          synth((scope) => {
            const side = owned(scope, "Alb", "sg-alb");
            cidrs.forEach((cidr) => side.allowFromCidr(cidr, Port.tcp(443), "clients"));
          }).json,
          "aws_vpc_security_group_ingress_rule",
        ),
      );
    const before = addresses(["10.0.0.0/8", "192.168.0.0/16", "172.16.0.0/12"]);
    const after = addresses(["192.168.0.0/16", "172.16.0.0/12"]);
    expect(before).toHaveLength(3);
    expect(after).toEqual(before.filter((address) => !address.includes("10-0-0-0-8")));
    expect(after).toContainEqual(expect.stringMatching(/^Alb_IngressTcp443FromCidr192-168-0-0-16_/));
  });

  test("GIVEN an egress CIDR WHEN synthesized THEN the egress rule names the block", () => {
    const { text } = synth((scope) => owned(scope, "Fleet", "sg-fleet").allowToCidr("0.0.0.0/0", Port.tcp(443), "HTTPS out"));
    expect(text).toHaveResourceWithProperties(VpcSecurityGroupEgressRule, { security_group_id: "sg-fleet", cidr_ipv4: "0.0.0.0/0", from_port: 443 });
  });

  test("GIVEN a managed prefix list WHEN clients are allowed from it THEN an ingress rule keyed by the list id", () => {
    const { json } = synth((scope) => owned(scope, "Alb", "sg-alb").allowFromPrefixList("pl-0123456789abcdef0", Port.tcp(443), "VPN clients"));
    const [id, rule] = Object.entries(resources(json, "aws_vpc_security_group_ingress_rule"))[0];
    expect(id).toContain("IngressTcp443FromPrefixList0123456789abcdef0");
    expect(rule).toMatchObject({ security_group_id: "sg-alb", prefix_list_id: "pl-0123456789abcdef0", from_port: 443, description: "VPN clients" });
  });

  test.each<[string, () => void, RegExp]>([
    ["port 0", () => Port.tcp(0), /Port: invalid port = 0. Allowed: an integer from 1 to 65535/],
    ["reversed range", () => Port.tcpRange(90, 80), /Port: invalid tcpRange = \[90,80\]. Allowed: fromPort <= toPort. Fix: swap/],
    ["bad name", () => Connections.fromSecurityGroupId("my-group", "sg-1"), /Connections: invalid name = "my-group". Allowed: letters and digits/],
    ["CIDR on a group managed elsewhere", () => Connections.fromSecurityGroupId("Other", "sg-1").allowFromCidr("10.0.0.0/8", Port.tcp(80), "x"), /Connections Other: invalid owner/],
    ["a prefix list that is not one", () => synth((scope) => owned(scope, "Alb", "sg-alb").allowFromPrefixList("vpn", Port.tcp(443), "x")), /invalid prefixListId = "vpn". Allowed: a literal managed prefix list id/],
  ])("GIVEN %s WHEN built THEN it fails naming the problem", (_label, build, message) => {
    expect(build).toThrow(message);
  });

  test.each([
    ["host bits", "10.0.5.0/16", /invalid cidr = "10.0.5.0\/16".*Fix: use "10.0.0.0\/16"/],
    ["no prefix", "10.0.0.0", /invalid cidr = "10.0.0.0"/],
    ["octet out of range", "10.0.0.256/32", /invalid cidr = "10.0.0.256\/32"/],
  ])("GIVEN a CIDR with %s WHEN allowed THEN it fails naming the block", (_label, cidr, message) => {
    expect(() => synth((scope) => owned(scope, "Alb", "sg-alb").allowFromCidr(cidr, Port.tcp(443), "clients"))).toThrow(message);
  });

  test("GIVEN a CIDR known only at apply time WHEN allowed THEN it fails: the block names the rule", () => {
    expect(() =>
      synth((scope) => {
        const vpc = new Vpc(scope, "Vpc", { cidrBlock: "10.0.0.0/16" });
        owned(scope, "Alb", "sg-alb").allowFromCidr(vpc.cidrBlock, Port.tcp(443), "clients");
      }),
    ).toThrow(/invalid cidr = .*Allowed: a CIDR block known at synth time \(it names the rule's Terraform address\)/);
  });
});
