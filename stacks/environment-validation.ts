// Synth-time checks of the environment list: each mistake here would otherwise synthesize and
// surface only at plan or apply time, or never (a prod stack tagged as dev).
import { PropValidationError, requireIntegerInRange, requireIpv4Cidrs, requirePrefixListId } from "../modules/internal/validation";
import { LoadBalancerScheme } from "../modules/inference-load-balancer";
import { EnvironmentConfig, ExistingNetworkConfig } from "./environments";

/**
 * "warmfleet-<name>" names the ALB, its target group and the Auto Scaling group, which allow 32
 * characters: 10 go to the prefix. Lowercase, so the name is also safe in DNS and S3 keys.
 */
const NAME = /^[a-z](?:[a-z0-9-]{0,20}[a-z0-9])?$/;

const REGION = /^[a-z]{2}(?:-[a-z]+)+-\d+$/;

/** Checks that involve several environments: names and the dependsOn graph. */
export function validateEnvironmentList(environments: readonly EnvironmentConfig[]): void {
  requireUniqueNames(environments);
  const names = new Set(environments.map((environment) => environment.name));
  for (const environment of environments) requireKnownDependencies(environment, names);
  requireNoDependencyCycle(environments);
}

/** Checks of one environment on its own. */
export function validateEnvironment(environment: EnvironmentConfig): void {
  requireName(environment);
  requireRegion(environment);
  requireEnvironmentTag(environment);
  if ("existing" in environment.network) {
    requireTwoSubnets(environment, "publicSubnetIds", environment.network.existing);
    requireTwoSubnets(environment, "privateSubnetIds", environment.network.existing);
  } else {
    requireZonesOfRegion(environment);
  }
  validateEdge(environment);
}

/** The edge settings, checked before any construct sees them, so the message names the environment. */
function validateEdge(environment: EnvironmentConfig): void {
  const scope = scopeOf(environment);
  const edge = environment.edge;
  if (edge.scheme === LoadBalancerScheme.INTERNET_FACING && environment.certificateArn === undefined) {
    throw new PropValidationError(
      scope,
      "edge.scheme",
      edge.scheme,
      "INTERNET_FACING only with certificateArn",
      "set certificateArn to an ACM certificate of the region for HTTPS, or leave edge.scheme out for an internal ALB",
    );
  }
  if (edge.allowedCidrBlocks !== undefined) requireIpv4Cidrs(scope, "edge.allowedCidrBlocks", edge.allowedCidrBlocks);
  (edge.allowedPrefixListIds ?? []).forEach((id, i) => requirePrefixListId(scope, `edge.allowedPrefixListIds[${i}]`, id));
  if ((edge.allowedCidrBlocks?.length ?? 1) + (edge.allowedPrefixListIds?.length ?? 0) === 0) {
    throw new PropValidationError(scope, "edge.allowedCidrBlocks", [], "at least one CIDR block or prefix list id in all", "allow a client range or a prefix list, or leave allowedCidrBlocks out");
  }
  if (!/^ELBSecurityPolicy-[A-Za-z0-9-]+$/.test(edge.sslPolicy)) {
    throw new PropValidationError(scope, "edge.sslPolicy", edge.sslPolicy, "an ELB security policy name such as ELBSecurityPolicy-TLS13-1-2-2021-06", "pick a policy from `aws elbv2 describe-ssl-policies`");
  }
  requireIntegerInRange(scope, "edge.idleTimeoutSeconds", edge.idleTimeoutSeconds, 1, 4000, "use seconds from 1 to 4000");
  if (edge.accessLogs) requireIntegerInRange(scope, "edge.accessLogs.expirationDays", edge.accessLogs.expirationDays, 1, 3650, "keep logs from 1 to 3650 days");
  if (edge.flowLogs && "existing" in environment.network) {
    throw new PropValidationError(
      scope,
      "edge.flowLogs",
      Object.keys(edge.flowLogs),
      "flow logs only for a network the stack creates",
      "turn on flow logs where the existing VPC is managed, and leave edge.flowLogs out here",
    );
  }
}

function scopeOf(environment: EnvironmentConfig): string {
  return `environment "${environment.name}"`;
}

function requireName(environment: EnvironmentConfig): void {
  if (NAME.test(environment.name)) return;
  throw new PropValidationError(
    scopeOf(environment),
    "name",
    environment.name,
    "1 to 22 lowercase letters, digits and hyphens, starting with a letter and not ending with a hyphen",
    'use a short name such as "prod" or "eu-staging"; the stack and its resources are called warmfleet-<name>',
  );
}

function requireRegion(environment: EnvironmentConfig): void {
  if (REGION.test(environment.region)) return;
  throw new PropValidationError(scopeOf(environment), "region", environment.region, "an AWS region name such as us-east-1", "use the region's code, not its display name");
}

// Spreading another environment copies its tags; a prod stack tagged Environment=dev misleads cost reports and IAM conditions.
function requireEnvironmentTag(environment: EnvironmentConfig): void {
  if (environment.tags.Environment === environment.name) return;
  throw new PropValidationError(
    scopeOf(environment),
    "tags.Environment",
    environment.tags.Environment,
    `the environment's name ("${environment.name}")`,
    "create the environment with defineEnvironment, which derives the tag from the name, and keep Environment out of extraTags",
  );
}

function requireZonesOfRegion(environment: EnvironmentConfig): void {
  const foreign = environment.availabilityZones.filter((zone) => !isZoneOf(zone, environment.region));
  if (foreign.length === 0) return;
  throw new PropValidationError(
    scopeOf(environment),
    "availabilityZones",
    environment.availabilityZones,
    `AZs of ${environment.region}: the region name followed by one letter, such as ${environment.region}a`,
    `replace ${foreign.join(", ")}, or change region`,
  );
}

function isZoneOf(zone: string, region: string): boolean {
  return zone.startsWith(region) && /^[a-z]$/.test(zone.slice(region.length));
}

function requireTwoSubnets(environment: EnvironmentConfig, prop: "publicSubnetIds" | "privateSubnetIds", existing: ExistingNetworkConfig): void {
  const subnets = existing[prop];
  if (new Set(subnets).size >= 2) return;
  throw new PropValidationError(
    scopeOf(environment),
    `network.existing.${prop}`,
    subnets,
    "at least two distinct subnets, each in a different AZ",
    "list one subnet per AZ in at least two AZs: an ALB needs two AZs, and the fleet should survive the loss of one",
  );
}

function requireUniqueNames(environments: readonly EnvironmentConfig[]): void {
  const seen = new Set<string>();
  for (const environment of environments) {
    if (seen.has(environment.name)) {
      throw new PropValidationError(
        scopeOf(environment),
        "name",
        environment.name,
        "a name no other environment uses",
        `rename one of them: both would be the stack warmfleet-${environment.name}`,
      );
    }
    seen.add(environment.name);
  }
}

function requireKnownDependencies(environment: EnvironmentConfig, names: ReadonlySet<string>): void {
  for (const dependency of environment.dependsOn ?? []) {
    if (dependency === environment.name) {
      throw new PropValidationError(scopeOf(environment), "dependsOn", environment.dependsOn, "other environments' names", `remove "${dependency}": an environment cannot wait for itself`);
    }
    if (!names.has(dependency)) {
      throw new PropValidationError(
        scopeOf(environment),
        "dependsOn",
        environment.dependsOn,
        `names of environments in the list (${[...names].join(", ")})`,
        `remove "${dependency}" or add that environment`,
      );
    }
  }
}

/** Depth-first search; a dependency met again while still on the path closes a cycle. Unknown names are checked before. */
function requireNoDependencyCycle(environments: readonly EnvironmentConfig[]): void {
  const byName = new Map(environments.map((environment) => [environment.name, environment]));
  const done = new Set<string>();
  const visit = (environment: EnvironmentConfig, path: readonly string[]): void => {
    if (done.has(environment.name)) return;
    for (const dependency of environment.dependsOn ?? []) {
      const cycleStart = path.indexOf(dependency);
      if (cycleStart >= 0) {
        const cycle = [...path.slice(cycleStart), environment.name, dependency].join(" -> ");
        throw new PropValidationError(
          scopeOf(environment),
          "dependsOn",
          environment.dependsOn,
          "dependencies that never lead back to this environment",
          `break the cycle ${cycle}: Atlantis cannot order environments that wait for each other`,
        );
      }
      const next = byName.get(dependency);
      if (next) visit(next, [...path, environment.name]);
    }
    done.add(environment.name);
  };
  for (const environment of environments) visit(environment, []);
}
