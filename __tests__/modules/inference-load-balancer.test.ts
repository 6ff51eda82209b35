import { Lb } from "@cdktf/provider-aws/lib/lb";
import { LbListener } from "@cdktf/provider-aws/lib/lb-listener";
import { LbTargetGroup } from "@cdktf/provider-aws/lib/lb-target-group";
import { VpcSecurityGroupIngressRule } from "@cdktf/provider-aws/lib/vpc-security-group-ingress-rule";
import {
  InferenceLoadBalancer,
  InferenceLoadBalancerProps,
  LoadBalancerScheme,
  LoadBalancingAlgorithm,
  UnauthenticatedRequestAction,
} from "../../modules/inference-load-balancer";
import { LoadBalancerLogBucket } from "../../modules/load-balancer-log-bucket";
import { count, resources, single, synth } from "../support/synth";
import { warningsOf } from "../support/async";

const CERTIFICATE = "arn:aws:acm:us-east-1:123456789012:certificate/abc";
const OIDC = {
  issuer: "https://login.example.com",
  authorizationEndpoint: "https://login.example.com/authorize",
  tokenEndpoint: "https://login.example.com/token",
  userInfoEndpoint: "https://login.example.com/userinfo",
  clientId: "warmfleet",
  clientSecret: "from-a-sensitive-variable",
};
const COGNITO = { userPoolArn: "arn:aws:cognito-idp:us-east-1:123456789012:userpool/us-east-1_abc", userPoolClientId: "client", userPoolDomain: "tools" };

const base: InferenceLoadBalancerProps = { name: "test", vpcId: "vpc-1", subnetIds: ["subnet-a", "subnet-b"] };

function loadBalancer(overrides: Partial<InferenceLoadBalancerProps> = {}) {
  let construct: InferenceLoadBalancer | undefined;
  const out = synth((scope) => {
    construct = new InferenceLoadBalancer(scope, "LoadBalancer", { ...base, ...overrides });
  });
  return { ...out, construct: construct as InferenceLoadBalancer };
}

describe("InferenceLoadBalancer", () => {
  test("GIVEN no certificate WHEN synthesized THEN an internal ALB forwards HTTP to an inference-tuned target group, with no warning", () => {
    const { text, json, construct } = loadBalancer();
    expect(warningsOf(construct)).toEqual([]);
    expect(single(json, "aws_lb").access_logs).toBeUndefined();
    expect(text).toHaveResourceWithProperties(Lb, {
      name: "test",
      internal: true,
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

  test("GIVEN a certificate WHEN synthesized THEN an internet-facing ALB serves HTTPS and HTTP redirects to it", () => {
    const { text, json } = loadBalancer({ certificateArn: CERTIFICATE });
    expect(text).toHaveResourceWithProperties(Lb, { internal: false });
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

  test("GIVEN the explicit plain-HTTP opt-in WHEN synthesized THEN an internet-facing HTTP ALB and a loud warning", () => {
    const { text, construct } = loadBalancer({ allowInsecurePublicHttp: true });
    expect(text).toHaveResourceWithProperties(Lb, { internal: false });
    expect(text).toHaveResourceWithProperties(LbListener, { port: 80, protocol: "HTTP", default_action: [expect.objectContaining({ type: "forward" })] });
    expect(warningsOf(construct)).toEqual([expect.stringMatching(/allowInsecurePublicHttp serves plain HTTP to the internet.*Set certificateArn/)]);
  });

  test("GIVEN prefix lists and no CIDR WHEN synthesized THEN each listener admits each prefix list, keyed by its id", () => {
    const { json } = loadBalancer({ certificateArn: CERTIFICATE, allowedCidrBlocks: [], allowedPrefixListIds: ["pl-0123456789abcdef0", "pl-12345678"] });
    const rules = resources(json, "aws_vpc_security_group_ingress_rule");
    expect(Object.values(rules).map((r) => [r.from_port, r.prefix_list_id]).sort()).toEqual([
      [443, "pl-0123456789abcdef0"],
      [443, "pl-12345678"],
      [80, "pl-0123456789abcdef0"],
      [80, "pl-12345678"],
    ]);
    expect(Object.keys(rules).some((id) => id.includes("IngressTcp443FromPrefixList0123456789abcdef0"))).toBe(true);
  });

  test("GIVEN OIDC authentication WHEN synthesized THEN the HTTPS listener authenticates before it forwards", () => {
    const { json } = loadBalancer({ certificateArn: CERTIFICATE, authentication: { oidc: OIDC, onUnauthenticatedRequest: UnauthenticatedRequestAction.DENY } });
    const https = Object.values(resources(json, "aws_lb_listener")).find((l) => l.port === 443);
    expect(https?.default_action).toEqual([
      expect.objectContaining({
        type: "authenticate-oidc",
        order: 1,
        authenticate_oidc: expect.objectContaining({ issuer: OIDC.issuer, client_id: "warmfleet", on_unauthenticated_request: "deny", scope: "openid", session_timeout: 3600 }),
      }),
      expect.objectContaining({ type: "forward", order: 2 }),
    ]);
  });

  test("GIVEN Cognito authentication WHEN synthesized THEN an authenticate-cognito action comes first", () => {
    const { json } = loadBalancer({ certificateArn: CERTIFICATE, authentication: { cognito: COGNITO, sessionTimeoutSeconds: 600 } });
    const https = Object.values(resources(json, "aws_lb_listener")).find((l) => l.port === 443);
    expect(https?.default_action).toEqual([
      expect.objectContaining({
        type: "authenticate-cognito",
        authenticate_cognito: expect.objectContaining({ user_pool_domain: "tools", on_unauthenticated_request: "authenticate", session_timeout: 600 }),
      }),
      expect.objectContaining({ type: "forward" }),
    ]);
  });

  test("GIVEN a log bucket WHEN synthesized THEN access logs go to it and the ALB waits for the bucket policy", () => {
    const { json } = synth((scope) => {
      const bucket = new LoadBalancerLogBucket(scope, "Logs", { name: "test-alb-logs", region: "us-east-1" });
      new InferenceLoadBalancer(scope, "LoadBalancer", { ...base, accessLogs: bucket });
    });
    const lb = single(json, "aws_lb");
    expect(lb.access_logs).toEqual({ bucket: expect.stringMatching(/aws_s3_bucket\.Logs_Bucket_\w+\.bucket/), prefix: "alb", enabled: true });
    expect(lb.depends_on).toEqual([expect.stringMatching(/^aws_s3_bucket_policy\.Logs_Policy_/)]);
  });

  test("GIVEN a load balancer WHEN synthesized THEN its security group is in the VPC and its target port is exposed", () => {
    const { construct, json } = loadBalancer();
    expect(construct.targetPort).toBe(80);
    expect(single(json, "aws_security_group").vpc_id).toBe("vpc-1");
  });

  test.each([
    ["an ACM certificate", "arn:aws:acm:eu-west-1:123456789012:certificate/00000000-0000-0000-0000-000000000000"],
    ["an IAM server certificate", "arn:aws:iam::123456789012:server-certificate/inference"],
    ["a GovCloud ACM certificate", "arn:aws-us-gov:acm:us-gov-west-1:123456789012:certificate/abc"],
  ])("GIVEN %s WHEN synthesized THEN HTTPS is served with it", (_label, certificateArn) => {
    const { json } = loadBalancer({ certificateArn });
    expect(Object.values(resources(json, "aws_lb_listener")).find((l) => l.port === 443)).toMatchObject({ certificate_arn: certificateArn });
  });

  test("GIVEN client CIDRs WHEN one is removed THEN the remaining rules keep their addresses", () => {
    const ids = (allowedCidrBlocks: string[]) => Object.keys(resources(loadBalancer({ allowedCidrBlocks }).json, "aws_vpc_security_group_ingress_rule"));
    const before = ids(["10.0.0.0/8", "172.16.0.0/12"]);
    expect(ids(["172.16.0.0/12"])).toEqual(before.filter((id) => !id.includes("10-0-0-0-8")));
  });

  test("GIVEN a name WHEN synthesized THEN the security group and target group are named by prefix and replaced create-before-destroy", () => {
    const { json } = loadBalancer({ name: "warmfleet-dev" });
    expect(single(json, "aws_security_group")).toMatchObject({ name_prefix: "warmfleet-dev-alb-", lifecycle: { create_before_destroy: true } });
    expect(single(json, "aws_security_group").name).toBeUndefined();
    expect(single(json, "aws_lb_target_group")).toMatchObject({ name_prefix: "warmfl", lifecycle: { create_before_destroy: true }, tags: { Name: "warmfleet-dev" } });
    expect(single(json, "aws_lb").name).toBe("warmfleet-dev");
  });

  test.each<[string, Partial<InferenceLoadBalancerProps>, RegExp]>([
    ["name too long", { name: "x".repeat(33) }, /InferenceLoadBalancer \(\S+\): invalid name = "x{33}". Allowed: 1 to 32 letters/],
    ["name with underscore", { name: "my_alb" }, /invalid name = "my_alb"/],
    ["no subnets", { subnetIds: [] }, /invalid subnetIds = \[\]. Allowed: at least two distinct subnets, in different AZs.*Fix: pass the public subnet ids/],
    ["port 0", { targetPort: 0 }, /invalid targetPort = 0. Allowed: an integer from 1 to 65535/],
    ["port 70000", { targetPort: 70000 }, /invalid targetPort = 70000/],
    ["no client CIDRs", { allowedCidrBlocks: [] }, /invalid allowedCidrBlocks = \[\]. Allowed: at least one CIDR block or prefix list id/],
    [
      "internet-facing without a certificate",
      { scheme: LoadBalancerScheme.INTERNET_FACING },
      /invalid scheme = "internet-facing". Allowed: INTERNET_FACING only with certificateArn.*Fix: set certificateArn .* or set allowInsecurePublicHttp: true/,
    ],
    ["the plain-HTTP opt-in with a certificate", { certificateArn: CERTIFICATE, allowInsecurePublicHttp: true }, /invalid allowInsecurePublicHttp = true.*Fix: remove allowInsecurePublicHttp/],
    ["the plain-HTTP opt-in on an internal ALB", { scheme: LoadBalancerScheme.INTERNAL, allowInsecurePublicHttp: true }, /invalid allowInsecurePublicHttp = true/],
    ["a malformed prefix list", { allowedPrefixListIds: ["pl-xyz"] }, /invalid allowedPrefixListIds\[0\] = "pl-xyz". Allowed: a literal managed prefix list id/],
    ["a duplicate prefix list", { allowedPrefixListIds: ["pl-12345678", "pl-12345678"] }, /invalid allowedPrefixListIds = .*Allowed: distinct prefix list ids/],
    ["authentication without HTTPS", { authentication: { oidc: OIDC } }, /invalid authentication = \["oidc"\]. Allowed: authentication only on an HTTPS listener. Fix: set certificateArn/],
    ["two identity providers", { certificateArn: CERTIFICATE, authentication: { oidc: OIDC, cognito: COGNITO } }, /Allowed: exactly one of oidc and cognito/],
    ["no identity provider", { certificateArn: CERTIFICATE, authentication: {} }, /Allowed: exactly one of oidc and cognito/],
    ["an http issuer", { certificateArn: CERTIFICATE, authentication: { oidc: { ...OIDC, issuer: "http://login.example.com" } } }, /invalid authentication.oidc.issuer = "http:\/\/login.example.com". Allowed: an https:\/\/ URL/],
    ["a session of 8 days", { certificateArn: CERTIFICATE, authentication: { oidc: OIDC, sessionTimeoutSeconds: 691200 } }, /invalid authentication.sessionTimeoutSeconds = 691200/],
    ["a user pool that is not an ARN", { certificateArn: CERTIFICATE, authentication: { cognito: { ...COGNITO, userPoolArn: "us-east-1_abc" } } }, /invalid authentication.cognito.userPoolArn = "us-east-1_abc"/],
    ["deregistration delay", { deregistrationDelaySeconds: 4000 }, /invalid deregistrationDelaySeconds = 4000. Allowed: an integer from 0 to 3600/],
    ["idle timeout", { idleTimeoutSeconds: 0 }, /invalid idleTimeoutSeconds = 0/],
    ["interval", { healthCheck: { intervalSeconds: 1 } }, /invalid healthCheck.intervalSeconds = 1/],
    ["timeout", { healthCheck: { timeoutSeconds: 1 } }, /invalid healthCheck.timeoutSeconds = 1/],
    ["healthy threshold", { healthCheck: { healthyThreshold: 11 } }, /invalid healthCheck.healthyThreshold = 11/],
    ["unhealthy threshold", { healthCheck: { unhealthyThreshold: 1 } }, /invalid healthCheck.unhealthyThreshold = 1/],
    ["timeout >= interval", { healthCheck: { intervalSeconds: 10, timeoutSeconds: 10 } }, /invalid healthCheck.timeoutSeconds = 10. Allowed: less than healthCheck.intervalSeconds \(10\)/],
    ["relative path", { healthCheck: { path: "health" } }, /invalid healthCheck.path = "health". Allowed: an absolute path/],
    ["one subnet", { subnetIds: ["subnet-a"] }, /invalid subnetIds = \["subnet-a"\]. Allowed: at least two distinct subnets/],
    ["the same subnet twice", { subnetIds: ["subnet-a", "subnet-a"] }, /invalid subnetIds = \["subnet-a","subnet-a"\]/],
    ["an empty certificate", { certificateArn: "" }, /invalid certificateArn = "". Allowed: an ACM certificate ARN .* or an IAM server certificate ARN .* Fix: pass the ARN of an issued certificate/],
    ["a certificate that is not an ARN", { certificateArn: "not-an-arn" }, /invalid certificateArn = "not-an-arn"/],
    ["a KMS key for a certificate", { certificateArn: "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab" }, /invalid certificateArn = "arn:aws:kms:/],
    ["a malformed client CIDR", { allowedCidrBlocks: ["10.0.0.0/8", "10.0.0/24"] }, /invalid allowedCidrBlocks\[1\] = "10.0.0\/24"/],
    ["a client CIDR with host bits", { allowedCidrBlocks: ["192.168.1.10/24"] }, /invalid allowedCidrBlocks\[0\] = "192.168.1.10\/24".*Fix: use "192.168.1.0\/24"/],
    ["a duplicate client CIDR", { allowedCidrBlocks: ["10.0.0.0/8", "10.0.0.0/8"] }, /invalid allowedCidrBlocks = .*Allowed: distinct CIDR blocks/],
  ])("GIVEN %s WHEN synthesized THEN it fails with the prop named", (_label, overrides, message) => {
    expect(() => loadBalancer(overrides)).toThrow(message);
  });
});
