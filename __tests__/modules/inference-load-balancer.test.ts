import { Lb } from "@cdktf/provider-aws/lib/lb";
import { LbListener } from "@cdktf/provider-aws/lib/lb-listener";
import { LbTargetGroup } from "@cdktf/provider-aws/lib/lb-target-group";
import { VpcSecurityGroupIngressRule } from "@cdktf/provider-aws/lib/vpc-security-group-ingress-rule";
import {
  InferenceLoadBalancer,
  InferenceLoadBalancerProps,
  LoadBalancerScheme,
  LoadBalancingAlgorithm,
} from "../../modules/inference-load-balancer";
import { count, resources, single, synth } from "../support/synth";

const base: InferenceLoadBalancerProps = { name: "test", vpcId: "vpc-1", subnetIds: ["subnet-a", "subnet-b"] };

function loadBalancer(overrides: Partial<InferenceLoadBalancerProps> = {}) {
  let construct: InferenceLoadBalancer | undefined;
  const out = synth((scope) => {
    construct = new InferenceLoadBalancer(scope, "LoadBalancer", { ...base, ...overrides });
  });
  return { ...out, construct: construct as InferenceLoadBalancer };
}

describe("InferenceLoadBalancer", () => {
  test("GIVEN defaults WHEN synthesized THEN an internet-facing ALB forwards HTTP to an inference-tuned target group", () => {
    const { text, json } = loadBalancer();
    expect(text).toHaveResourceWithProperties(Lb, {
      name: "test",
      internal: false,
      load_balancer_type: "application",
      subnets: ["subnet-a", "subnet-b"],
      idle_timeout: 120,
      drop_invalid_header_fields: true,
      enable_deletion_protection: false,
    });
    expect(text).toHaveResourceWithProperties(LbTargetGroup, {
      port: 80,
      protocol: "HTTP",
      deregistration_delay: "30",
      load_balancing_algorithm_type: "least_outstanding_requests",
      health_check: expect.objectContaining({ path: "/health", interval: 10, timeout: 5, healthy_threshold: 2, unhealthy_threshold: 3, matcher: "200" }),
    });
    expect(count(json, "aws_lb_listener")).toBe(1);
    expect(text).toHaveResourceWithProperties(LbListener, { port: 80, protocol: "HTTP", default_action: [expect.objectContaining({ type: "forward" })] });
    expect(text).toHaveResourceWithProperties(VpcSecurityGroupIngressRule, { from_port: 80, to_port: 80, cidr_ipv4: "0.0.0.0/0" });
  });

  test("GIVEN a certificate WHEN synthesized THEN HTTPS forwards and HTTP redirects to it", () => {
    const { text, json } = loadBalancer({ certificateArn: "arn:aws:acm:us-east-1:123456789012:certificate/abc" });
    expect(text).toHaveResourceWithProperties(LbListener, {
      port: 443,
      protocol: "HTTPS",
      certificate_arn: "arn:aws:acm:us-east-1:123456789012:certificate/abc",
      ssl_policy: "ELBSecurityPolicy-TLS13-1-2-2021-06",
    });
    expect(text).toHaveResourceWithProperties(LbListener, {
      port: 80,
      default_action: [expect.objectContaining({ type: "redirect", redirect: expect.objectContaining({ protocol: "HTTPS", port: "443", status_code: "HTTP_301" }) })],
    });
    expect(count(json, "aws_vpc_security_group_ingress_rule")).toBe(2);
  });

  test("GIVEN an internal scheme, client CIDRs and tuning WHEN synthesized THEN they reach the resources", () => {
    const { text, json } = loadBalancer({
      scheme: LoadBalancerScheme.INTERNAL,
      allowedCidrBlocks: ["10.0.0.0/8", "192.168.0.0/16"],
      targetPort: 8080,
      deregistrationDelaySeconds: 5,
      idleTimeoutSeconds: 600,
      loadBalancingAlgorithm: LoadBalancingAlgorithm.ROUND_ROBIN,
      deletionProtection: true,
      healthCheck: { path: "/ready", intervalSeconds: 30, timeoutSeconds: 10, healthyThreshold: 3, unhealthyThreshold: 5 },
    });
    expect(text).toHaveResourceWithProperties(Lb, { internal: true, idle_timeout: 600, enable_deletion_protection: true });
    expect(text).toHaveResourceWithProperties(LbTargetGroup, {
      port: 8080,
      deregistration_delay: "5",
      load_balancing_algorithm_type: "round_robin",
      health_check: expect.objectContaining({ path: "/ready", interval: 30, timeout: 10, healthy_threshold: 3, unhealthy_threshold: 5 }),
    });
    const cidrs = Object.values(resources(json, "aws_vpc_security_group_ingress_rule")).map((r) => r.cidr_ipv4);
    expect(cidrs.sort()).toEqual(["10.0.0.0/8", "192.168.0.0/16"]);
  });

  test("GIVEN a load balancer WHEN synthesized THEN its security group is in the VPC and its target port is exposed", () => {
    const { construct, json } = loadBalancer();
    expect(construct.targetPort).toBe(80);
    expect(single(json, "aws_security_group").vpc_id).toBe("vpc-1");
  });

  test.each<[string, Partial<InferenceLoadBalancerProps>, RegExp]>([
    ["name too long", { name: "x".repeat(33) }, /InferenceLoadBalancer \(\S+\): invalid name = "x{33}". Allowed: 1 to 32 letters/],
    ["name with underscore", { name: "my_alb" }, /invalid name = "my_alb"/],
    ["no subnets", { subnetIds: [] }, /invalid subnetIds = \[\]. Allowed: at least two distinct subnets, in different AZs.*Fix: pass the public subnet ids/],
    ["port 0", { targetPort: 0 }, /invalid targetPort = 0. Allowed: an integer from 1 to 65535/],
    ["port 70000", { targetPort: 70000 }, /invalid targetPort = 70000/],
    ["no client CIDRs", { allowedCidrBlocks: [] }, /invalid allowedCidrBlocks = \[\]/],
    ["deregistration delay", { deregistrationDelaySeconds: 4000 }, /invalid deregistrationDelaySeconds = 4000. Allowed: an integer from 0 to 3600/],
    ["idle timeout", { idleTimeoutSeconds: 0 }, /invalid idleTimeoutSeconds = 0/],
    ["interval", { healthCheck: { intervalSeconds: 1 } }, /invalid healthCheck.intervalSeconds = 1/],
    ["timeout", { healthCheck: { timeoutSeconds: 1 } }, /invalid healthCheck.timeoutSeconds = 1/],
    ["healthy threshold", { healthCheck: { healthyThreshold: 11 } }, /invalid healthCheck.healthyThreshold = 11/],
    ["unhealthy threshold", { healthCheck: { unhealthyThreshold: 1 } }, /invalid healthCheck.unhealthyThreshold = 1/],
    ["timeout >= interval", { healthCheck: { intervalSeconds: 10, timeoutSeconds: 10 } }, /invalid healthCheck.timeoutSeconds = 10. Allowed: less than healthCheck.intervalSeconds \(10\)/],
    ["relative path", { healthCheck: { path: "health" } }, /invalid healthCheck.path = "health". Allowed: an absolute path/],
  ])("GIVEN %s WHEN synthesized THEN it fails with the prop named", (_label, overrides, message) => {
    expect(() => loadBalancer(overrides)).toThrow(message);
  });
});
