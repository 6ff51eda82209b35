import { Construct } from "constructs";
import { Annotations } from "cdktf";
import { Lb } from "@cdktf/provider-aws/lib/lb";
import { LbListener } from "@cdktf/provider-aws/lib/lb-listener";
import { LbTargetGroup } from "@cdktf/provider-aws/lib/lb-target-group";
import { SecurityGroup } from "@cdktf/provider-aws/lib/security-group";
import { Connections, IConnectable, Port } from "./connections";
import { AccessLogDestination } from "./load-balancer-log-bucket";
import {
  ACM_CERTIFICATE,
  IAM_SERVER_CERTIFICATE,
  PropValidationError,
  isUnresolved,
  requireArn,
  requireDistinctCount,
  requireIntegerInRange,
  requireIpv4Cidrs,
  requirePrefixListId,
  requirePort,
  requireResourceName,
} from "./internal/validation";

/** Whether the ALB faces the internet or only the VPC. */
export enum LoadBalancerScheme {
  INTERNET_FACING = "internet-facing",
  INTERNAL = "internal",
}

/** How the ALB picks a target for each request. */
export enum LoadBalancingAlgorithm {
  /** Sends each request to the target with the fewest requests in flight: suits uneven inference times. */
  LEAST_OUTSTANDING_REQUESTS = "least_outstanding_requests",
  ROUND_ROBIN = "round_robin",
}

/** What the listener does with a request that has no valid session. */
export enum UnauthenticatedRequestAction {
  /** Redirect browsers to the identity provider's login page. */
  AUTHENTICATE = "authenticate",
  /** Answer 401: for API clients that cannot follow a login redirect. */
  DENY = "deny",
  /** Forward without identity claims. */
  ALLOW = "allow",
}

/** An OpenID Connect identity provider (Okta, Entra ID, Google, ...). */
export interface OidcAuthenticationProps {
  /** Issuer URL, https. */
  readonly issuer: string;
  /** Authorization endpoint URL, https. */
  readonly authorizationEndpoint: string;
  /** Token endpoint URL, https. */
  readonly tokenEndpoint: string;
  /** User info endpoint URL, https. */
  readonly userInfoEndpoint: string;
  /** OAuth client id. */
  readonly clientId: string;
  /** OAuth client secret: pass a sensitive Terraform variable or a secret's value, never a literal in code. */
  readonly clientSecret: string;
}

/** An Amazon Cognito user pool. */
export interface CognitoAuthenticationProps {
  /** ARN of the user pool. */
  readonly userPoolArn: string;
  /** Id of the user pool's app client (one with a client secret). */
  readonly userPoolClientId: string;
  /** Domain prefix of the user pool (not the full domain name). */
  readonly userPoolDomain: string;
}

/** Authentication of every request before it is forwarded: exactly one of oidc and cognito. */
export interface ListenerAuthenticationProps {
  /** Authenticate with an OpenID Connect provider. @default - no OIDC (cognito must be set) */
  readonly oidc?: OidcAuthenticationProps;
  /** Authenticate with a Cognito user pool. @default - no Cognito (oidc must be set) */
  readonly cognito?: CognitoAuthenticationProps;
  /** What a request without a valid session gets. @default UnauthenticatedRequestAction.AUTHENTICATE */
  readonly onUnauthenticatedRequest?: UnauthenticatedRequestAction;
  /** Scopes requested from the identity provider. @default "openid" */
  readonly scope?: string;
  /** Seconds a session lasts, 1 to 604800. @default 3600 */
  readonly sessionTimeoutSeconds?: number;
}

/** ALB health check of the inference server. */
export interface TargetHealthCheckProps {
  /** Path the server answers with 200 once its set-up is done. @default "/health" */
  readonly path?: string;
  /** Seconds between checks, 5 to 300. @default 10 */
  readonly intervalSeconds?: number;
  /** Consecutive successes before a target is healthy, 2 to 10. @default 2 */
  readonly healthyThreshold?: number;
  /** Consecutive failures before a target is unhealthy, 2 to 10. @default 3 */
  readonly unhealthyThreshold?: number;
  /** Seconds before a check times out, 2 to 120, less than the interval. @default 5 */
  readonly timeoutSeconds?: number;
}

export interface InferenceLoadBalancerProps {
  /** Name of the ALB and its target group, 1 to 32 letters, digits and hyphens. */
  readonly name: string;
  /** VPC of the load balancer and its targets. */
  readonly vpcId: string;
  /** Subnets of the ALB, at least two, in different AZs (public subnets when internet-facing). */
  readonly subnetIds: readonly string[];
  /** Internet-facing or internal; internet-facing needs certificateArn (or allowInsecurePublicHttp). @default - INTERNET_FACING with a certificate, INTERNAL without */
  readonly scheme?: LoadBalancerScheme;
  /** Serve plain HTTP to the internet without a certificate: requests, answers and credentials travel in clear text. @default false */
  readonly allowInsecurePublicHttp?: boolean;
  /** Client CIDR blocks allowed to reach the listeners; may be empty when allowedPrefixListIds is not. @default ["0.0.0.0/0"] */
  readonly allowedCidrBlocks?: readonly string[];
  /** Managed prefix list ids ("pl-...") of clients allowed to reach the listeners. @default - none */
  readonly allowedPrefixListIds?: readonly string[];
  /** ACM (or IAM server) certificate ARN; when set the ALB serves HTTPS on 443 and redirects HTTP to it. @default - HTTP only on port 80, on an internal ALB */
  readonly certificateArn?: string;
  /** Authenticate requests (OIDC or Cognito) on the HTTPS listener before forwarding; needs certificateArn. @default - no authentication */
  readonly authentication?: ListenerAuthenticationProps;
  /** Bucket for access logs, such as a LoadBalancerLogBucket. @default - no access logs */
  readonly accessLogs?: AccessLogDestination;
  /** TLS policy of the HTTPS listener. @default "ELBSecurityPolicy-TLS13-1-2-2021-06" */
  readonly sslPolicy?: string;
  /** Port the inference server listens on in each instance. @default 80 */
  readonly targetPort?: number;
  /** Health check of the targets. @default - /health every 10 s, 2 to become healthy, 3 to become unhealthy */
  readonly healthCheck?: TargetHealthCheckProps;
  /** Seconds the ALB drains a deregistering target, 0 to 3600; inference calls are short. @default 30 */
  readonly deregistrationDelaySeconds?: number;
  /** Idle timeout of client connections in seconds, 1 to 4000; long inferences need more than 60. @default 120 */
  readonly idleTimeoutSeconds?: number;
  /** Routing algorithm of the target group. @default LoadBalancingAlgorithm.LEAST_OUTSTANDING_REQUESTS */
  readonly loadBalancingAlgorithm?: LoadBalancingAlgorithm;
  /** Protect the ALB from deletion. @default false */
  readonly deletionProtection?: boolean;
  /** Tags added to every resource. @default - no extra tags */
  readonly tags?: Readonly<Record<string, string>>;
}

/** What a fleet needs to know of the load balancer in front of it. */
export interface LoadBalancerTarget extends IConnectable {
  /** ARN of the target group the fleet registers its instances with. */
  readonly targetGroupArn: string;
  /** `app/.../targetgroup/...` label for the ALBRequestCountPerTarget scaling metric. */
  readonly requestCountResourceLabel: string;
  /** Port the target group sends traffic to. */
  readonly targetPort: number;
}

/** An Application Load Balancer in front of an inference fleet, with its security group and target group. */
export class InferenceLoadBalancer extends Construct implements LoadBalancerTarget {
  /** The ALB's security group side: targets admit their port from it with one call. */
  public readonly connections: Connections;
  /** ARN of the ALB. */
  public readonly loadBalancerArn: string;
  /** DNS name clients call. */
  public readonly dnsName: string;
  /** Route 53 hosted zone id of the ALB, for alias records. */
  public readonly zoneId: string;
  /** Security group of the ALB. */
  public readonly securityGroupId: string;
  /** ARN of the target group. */
  public readonly targetGroupArn: string;
  /** Resource label for the ALBRequestCountPerTarget metric. */
  public readonly requestCountResourceLabel: string;
  /** Port the target group sends traffic to. */
  public readonly targetPort: number;
  /** ARN of the listener that forwards to the target group (HTTPS when a certificate is given). */
  public readonly listenerArn: string;

  constructor(scope: Construct, id: string, props: InferenceLoadBalancerProps) {
    super(scope, id);
    validateLoadBalancerProps(this, props);
    const tags = props.tags ?? {};
    const https = props.certificateArn !== undefined;
    const scheme = schemeOf(props);
    if (scheme === LoadBalancerScheme.INTERNET_FACING && !https) {
      Annotations.of(this).addWarning(
        `InferenceLoadBalancer ${props.name}: allowInsecurePublicHttp serves plain HTTP to the internet; requests, answers and credentials travel unencrypted. Set certificateArn for HTTPS.`,
      );
    }
    this.targetPort = props.targetPort ?? 80;

    // Name prefixes with create_before_destroy: a change that replaces the group or the target
    // group creates the new one first, which fixed names would make impossible.
    const securityGroup = new SecurityGroup(this, "SecurityGroup", {
      namePrefix: `${props.name}-alb-`,
      description: `ALB of ${props.name}: listeners from allowed clients only`,
      vpcId: props.vpcId,
      tags: { ...tags, Name: `${props.name}-alb` },
      lifecycle: { createBeforeDestroy: true },
    });
    this.connections = Connections.forOwner(this, securityGroup.id, tags);
    for (const port of https ? [80, 443] : [80]) {
      for (const cidr of props.allowedCidrBlocks ?? ["0.0.0.0/0"]) {
        this.connections.allowFromCidr(cidr, Port.tcp(port), `Clients to listener ${port}`);
      }
      for (const prefixListId of props.allowedPrefixListIds ?? []) {
        this.connections.allowFromPrefixList(prefixListId, Port.tcp(port), `Clients to listener ${port}`);
      }
    }

    const loadBalancer = new Lb(this, "LoadBalancer", {
      name: props.name,
      loadBalancerType: "application",
      internal: scheme === LoadBalancerScheme.INTERNAL,
      subnets: [...props.subnetIds],
      securityGroups: [securityGroup.id],
      idleTimeout: props.idleTimeoutSeconds ?? 120,
      dropInvalidHeaderFields: true,
      enableDeletionProtection: props.deletionProtection ?? false,
      accessLogs: props.accessLogs && { bucket: props.accessLogs.bucketName, prefix: props.accessLogs.prefix, enabled: true },
      dependsOn: props.accessLogs && [props.accessLogs.writable],
      tags,
    });

    const health = props.healthCheck ?? {};
    const targetGroup = new LbTargetGroup(this, "TargetGroup", {
      // AWS allows target group name prefixes of at most 6 characters; the Name tag carries the full name.
      namePrefix: targetGroupNamePrefix(props.name),
      vpcId: props.vpcId,
      port: this.targetPort,
      protocol: "HTTP",
      targetType: "instance",
      deregistrationDelay: String(props.deregistrationDelaySeconds ?? 30),
      loadBalancingAlgorithmType: props.loadBalancingAlgorithm ?? LoadBalancingAlgorithm.LEAST_OUTSTANDING_REQUESTS,
      healthCheck: {
        enabled: true,
        path: health.path ?? "/health",
        protocol: "HTTP",
        port: "traffic-port",
        matcher: "200",
        interval: health.intervalSeconds ?? 10,
        timeout: health.timeoutSeconds ?? 5,
        healthyThreshold: health.healthyThreshold ?? 2,
        unhealthyThreshold: health.unhealthyThreshold ?? 3,
      },
      tags: { ...tags, Name: props.name },
      lifecycle: { createBeforeDestroy: true },
    });

    const forward = [{ type: "forward", targetGroupArn: targetGroup.arn }];
    const authenticateThenForward = props.authentication ? [authenticateAction(props.authentication), { ...forward[0], order: 2 }] : forward;
    const httpListener = new LbListener(this, "HttpListener", {
      loadBalancerArn: loadBalancer.arn,
      port: 80,
      protocol: "HTTP",
      defaultAction: https
        ? [{ type: "redirect", redirect: { port: "443", protocol: "HTTPS", statusCode: "HTTP_301" } }]
        : forward,
      tags,
    });
    const forwardingListener = https
      ? new LbListener(this, "HttpsListener", {
          loadBalancerArn: loadBalancer.arn,
          port: 443,
          protocol: "HTTPS",
          sslPolicy: props.sslPolicy ?? "ELBSecurityPolicy-TLS13-1-2-2021-06",
          certificateArn: props.certificateArn,
          defaultAction: authenticateThenForward,
          tags,
        })
      : httpListener;

    this.loadBalancerArn = loadBalancer.arn;
    this.dnsName = loadBalancer.dnsName;
    this.zoneId = loadBalancer.zoneId;
    this.securityGroupId = securityGroup.id;
    this.targetGroupArn = targetGroup.arn;
    this.requestCountResourceLabel = `${loadBalancer.arnSuffix}/${targetGroup.arnSuffix}`;
    this.listenerArn = forwardingListener.arn;
  }
}

/** Internet-facing only with HTTPS or the explicit plain-HTTP opt-in. */
function schemeOf(props: InferenceLoadBalancerProps): LoadBalancerScheme {
  if (props.scheme !== undefined) return props.scheme;
  return props.certificateArn !== undefined || props.allowInsecurePublicHttp ? LoadBalancerScheme.INTERNET_FACING : LoadBalancerScheme.INTERNAL;
}

function authenticateAction(auth: ListenerAuthenticationProps) {
  const common = {
    onUnauthenticatedRequest: auth.onUnauthenticatedRequest ?? UnauthenticatedRequestAction.AUTHENTICATE,
    scope: auth.scope ?? "openid",
    sessionTimeout: auth.sessionTimeoutSeconds ?? 3600,
  };
  return auth.oidc
    ? { type: "authenticate-oidc", order: 1, authenticateOidc: { ...auth.oidc, ...common } }
    : { type: "authenticate-cognito", order: 1, authenticateCognito: { ...(auth.cognito as CognitoAuthenticationProps), ...common } };
}

function validateLoadBalancerProps(scope: Construct, props: InferenceLoadBalancerProps): void {
  requireResourceName(scope, "name", props.name, 1, 32, "shorten the name; it names the ALB and tags its target group");
  requireDistinctCount(
    scope,
    "subnetIds",
    props.subnetIds,
    2,
    "at least two distinct subnets, in different AZs (an ALB needs two AZs)",
    "pass the public subnet ids (private for an internal ALB) of at least two AZs",
  );
  requirePort(scope, "targetPort", props.targetPort);
  validateExposure(scope, props);
  validateClients(scope, props);
  if (props.authentication) validateAuthentication(scope, props.authentication, props.certificateArn !== undefined);
  if (props.certificateArn !== undefined) {
    requireArn(
      scope,
      "certificateArn",
      props.certificateArn,
      [ACM_CERTIFICATE, IAM_SERVER_CERTIFICATE],
      "pass the ARN of an issued certificate in the ALB's region, or leave certificateArn out for HTTP only",
    );
  }
  requireIntegerInRange(scope, "deregistrationDelaySeconds", props.deregistrationDelaySeconds, 0, 3600, "use seconds from 0 to 3600");
  requireIntegerInRange(scope, "idleTimeoutSeconds", props.idleTimeoutSeconds, 1, 4000, "use seconds from 1 to 4000");
  const health = props.healthCheck ?? {};
  requireIntegerInRange(scope, "healthCheck.intervalSeconds", health.intervalSeconds, 5, 300, "use seconds from 5 to 300");
  requireIntegerInRange(scope, "healthCheck.timeoutSeconds", health.timeoutSeconds, 2, 120, "use seconds from 2 to 120");
  requireIntegerInRange(scope, "healthCheck.healthyThreshold", health.healthyThreshold, 2, 10, "use a count from 2 to 10");
  requireIntegerInRange(scope, "healthCheck.unhealthyThreshold", health.unhealthyThreshold, 2, 10, "use a count from 2 to 10");
  const interval = health.intervalSeconds ?? 10;
  const timeout = health.timeoutSeconds ?? 5;
  if (timeout >= interval) {
    throw new PropValidationError(
      scope,
      "healthCheck.timeoutSeconds",
      timeout,
      `less than healthCheck.intervalSeconds (${interval})`,
      "lower the timeout or raise the interval",
    );
  }
  if (health.path !== undefined && !health.path.startsWith("/")) {
    throw new PropValidationError(scope, "healthCheck.path", health.path, "an absolute path starting with /", 'use for example "/health"');
  }
}

/** The first letters of the name, at most 6 (AWS's limit for target group name prefixes), no trailing hyphen. */
function targetGroupNamePrefix(name: string): string | undefined {
  return isUnresolved(name) ? undefined : name.slice(0, 6).replace(/-+$/, "");
}

function validateExposure(scope: Construct, props: InferenceLoadBalancerProps): void {
  const https = props.certificateArn !== undefined;
  if (props.scheme === LoadBalancerScheme.INTERNET_FACING && !https && !props.allowInsecurePublicHttp) {
    throw new PropValidationError(
      scope,
      "scheme",
      props.scheme,
      "INTERNET_FACING only with certificateArn (HTTPS)",
      "set certificateArn to an ACM certificate for HTTPS, or set allowInsecurePublicHttp: true to serve plain HTTP to the internet knowingly",
    );
  }
  if (props.allowInsecurePublicHttp && (https || props.scheme === LoadBalancerScheme.INTERNAL)) {
    throw new PropValidationError(
      scope,
      "allowInsecurePublicHttp",
      true,
      "true only for an internet-facing ALB without certificateArn",
      "remove allowInsecurePublicHttp: it has no effect with a certificate or an internal scheme",
    );
  }
}

function validateClients(scope: Construct, props: InferenceLoadBalancerProps): void {
  const cidrs = props.allowedCidrBlocks ?? ["0.0.0.0/0"];
  const prefixLists = props.allowedPrefixListIds ?? [];
  if (isUnresolved(cidrs) || isUnresolved(prefixLists)) return;
  if (cidrs.length === 0 && prefixLists.length === 0) {
    throw new PropValidationError(
      scope,
      "allowedCidrBlocks",
      [],
      "at least one CIDR block or prefix list id in all",
      'allow at least one client range, for example ["10.0.0.0/8"], or a prefix list in allowedPrefixListIds',
    );
  }
  requireIpv4Cidrs(scope, "allowedCidrBlocks", cidrs);
  if (new Set(prefixLists).size !== prefixLists.length) {
    throw new PropValidationError(scope, "allowedPrefixListIds", prefixLists, "distinct prefix list ids", "remove the duplicate");
  }
  prefixLists.forEach((id, i) => requirePrefixListId(scope, `allowedPrefixListIds[${i}]`, id));
}

function validateAuthentication(scope: Construct, auth: ListenerAuthenticationProps, https: boolean): void {
  if (!https) {
    throw new PropValidationError(
      scope,
      "authentication",
      Object.keys(auth),
      "authentication only on an HTTPS listener",
      "set certificateArn: ALB authenticate actions need HTTPS (session cookies and tokens must not travel in clear text)",
    );
  }
  if ((auth.oidc === undefined) === (auth.cognito === undefined)) {
    throw new PropValidationError(scope, "authentication", Object.keys(auth), "exactly one of oidc and cognito", "keep one identity provider");
  }
  requireIntegerInRange(scope, "authentication.sessionTimeoutSeconds", auth.sessionTimeoutSeconds, 1, 604800, "use seconds from 1 to 604800 (7 days)");
  for (const key of ["issuer", "authorizationEndpoint", "tokenEndpoint", "userInfoEndpoint"] as const) {
    const url = auth.oidc?.[key];
    if (url !== undefined && !isUnresolved(url) && !/^https:\/\/[^\s/]+/.test(url)) {
      throw new PropValidationError(scope, `authentication.oidc.${key}`, url, "an https:// URL", "copy the URL from the provider's /.well-known/openid-configuration");
    }
  }
  const userPoolArn = auth.cognito?.userPoolArn;
  if (userPoolArn !== undefined && !isUnresolved(userPoolArn) && !/^arn:aws[a-z-]*:cognito-idp:[a-z0-9-]+:\d{12}:userpool\/[\w-]+$/.test(userPoolArn)) {
    throw new PropValidationError(scope, "authentication.cognito.userPoolArn", userPoolArn, "arn:aws:cognito-idp:<region>:<account>:userpool/<id>", "pass the user pool's arn attribute");
  }
}
