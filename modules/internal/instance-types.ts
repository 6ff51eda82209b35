// What warmfleet knows about EC2 instance types at synth time: the CPU architecture a type needs
// (so an arm64 type never boots an x86_64 image) and the vCPUs of C-family types (one server
// worker per vCPU). Anything it does not know is left to the caller to state.

/** CPU architecture of an instance type or an image. */
export type Architecture = "x86_64" | "arm64";

const TYPE_NAME = /^([a-z]+)(\d+)([a-z-]*)\.([a-z0-9-]+)$/;

/** vCPUs of every C6i size (metal is the 32xlarge's 128 vCPUs without the hypervisor). */
const C6I_VCPUS: Readonly<Record<string, number>> = {
  large: 2,
  xlarge: 4,
  "2xlarge": 8,
  "4xlarge": 16,
  "8xlarge": 32,
  "12xlarge": 48,
  "16xlarge": 64,
  "24xlarge": 96,
  "32xlarge": 128,
  metal: 128,
};

/** Architecture of an instance type, undefined for families it cannot tell (mac, u-*). */
export function architectureOfInstanceType(instanceType: string): Architecture | undefined {
  const match = TYPE_NAME.exec(instanceType);
  if (!match) return undefined;
  const [, family, , attributes] = match;
  if (family === "mac" || family === "u") return undefined;
  // Graviton: the "g" attribute (c6g, c7gn, t4g, im4gn, x2gd) and the first generation, a1.
  return family === "a" || attributes.includes("g") ? "arm64" : "x86_64";
}

/**
 * vCPUs of C-family sizes: the exact table for C6i, and 2 per "large" for the other C families'
 * large..Nxlarge sizes (c5.9xlarge = 36, c7g.medium = 1). Undefined for other families and for
 * metal sizes other than C6i's, whose counts do not follow the rule.
 */
export function vcpusOfInstanceType(instanceType: string): number | undefined {
  const match = TYPE_NAME.exec(instanceType);
  if (!match || match[1] !== "c") return undefined;
  const [, , generation, attributes, size] = match;
  if (generation === "6" && attributes === "i") return C6I_VCPUS[size];
  if (size === "medium") return 1;
  if (size === "large") return 2;
  if (size === "xlarge") return 4;
  const multiple = /^(\d+)xlarge$/.exec(size);
  return multiple ? 4 * Number(multiple[1]) : undefined;
}

/**
 * Architecture of an image given as a public Amazon Linux / ECS / Bottlerocket SSM parameter
 * ("resolve:ssm:/aws/service/..."); undefined for AMI ids and custom parameters.
 */
export function architectureOfImage(imageId: string): Architecture | undefined {
  const parameter = /^resolve:ssm:(\/aws\/service\/\S+)$/.exec(imageId)?.[1];
  if (!parameter) return undefined;
  if (/(^|[/_-])(arm64|aarch64)([/_-]|$)/.test(parameter)) return "arm64";
  if (/(^|[/_-])x86_64([/_-]|$)/.test(parameter)) return "x86_64";
  // The ECS-optimized parameters name arm64 explicitly and leave x86_64 implicit.
  if (parameter.startsWith("/aws/service/ecs/optimized-ami/")) return "x86_64";
  return undefined;
}
