import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Construct } from "constructs";
import { TerraformStack, Testing } from "cdktf";
import { InferenceFleet, LaunchHookProps } from "../../modules/inference-fleet";
import { InferenceLoadBalancer } from "../../modules/inference-load-balancer";
import { deterministicZip } from "../../modules/internal/zip";
import { IncompleteWarmupResult, WarmupHook, WarmupHookProps, WarmupMethod, WarmupMode } from "../../modules/warmup-hook";
import { NumericWarmupSetting, WARMUP_SETTINGS, WarmupSetting } from "../../modules/warmup-settings";
import { ConfigError, IncompleteAction, loadConfig } from "../../lambdas/warmup/config";
import { readPropsInterfaces } from "../../scripts/docs-props";
import { single, synth } from "../support/synth";

const dir = mkdtempSync(join(tmpdir(), "warmup-settings-"));
const bundle = join(dir, "warmup.zip");
writeFileSync(bundle, deterministicZip({ "index.js": Buffer.from("exports.handler = async () => ({});\n") }));
const payload = join(dir, "cat.jpg");
writeFileSync(payload, Buffer.from([0xff, 0xd8, 0xff]));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// Typed, so that a prop the table names but WarmupHookProps lacks fails the type check.
const tableProps: readonly (keyof WarmupHookProps | undefined)[] = Object.values(WARMUP_SETTINGS).map((s) => s.prop);
const settings: readonly WarmupSetting[] = Object.values(WARMUP_SETTINGS);
const withProp = settings.filter((s): s is WarmupSetting & { readonly prop: keyof WarmupHookProps } => s.prop !== undefined);
const ranged = withProp.filter((s): s is NumericWarmupSetting & { readonly prop: keyof WarmupHookProps } => s.type === "integer" || s.type === "number");

/** The fleet's defaults (c6i.xlarge behind a load balancer on port 80), with a launch hook. */
function addWarmup(scope: Construct, props: Partial<WarmupHookProps>, launchHook: LaunchHookProps = {}): WarmupHook {
  const loadBalancer = new InferenceLoadBalancer(scope, "LoadBalancer", { name: "fleet", vpcId: "vpc-1", subnetIds: ["subnet-a", "subnet-b"] });
  const fleet = new InferenceFleet(scope, "Fleet", { name: "fleet", vpcId: "vpc-1", subnetIds: ["subnet-a"], loadBalancer, imageId: "ami-0123456789abcdef0", launchHook });
  return new WarmupHook(scope, "Warmup", { fleet, bundle, ...props });
}

/** The function's environment as synthesized. */
function environmentOf(props: Partial<WarmupHookProps> = {}, launchHook?: LaunchHookProps): Record<string, string> {
  const { json } = synth((scope) => addWarmup(scope, props, launchHook));
  return (single(json, "aws_lambda_function").environment as { variables: Record<string, string> }).variables;
}

/** The environment of the function on a fleet of ECS hosts (ECS_HOST mode). */
function ecsHostEnvironment(): Record<string, string> {
  const cluster = { clusterName: "inference", clusterArn: "arn:aws:ecs:us-east-1:123456789012:cluster/inference", capacityProviderNames: [] };
  const { json } = synth((scope) => {
    const fleet = new InferenceFleet(scope, "Fleet", { name: "fleet", vpcId: "vpc-1", subnetIds: ["subnet-a"], ecsHost: { cluster }, launchHook: {} });
    new WarmupHook(scope, "Warmup", { fleet, bundle });
  });
  return (single(json, "aws_lambda_function").environment as { variables: Record<string, string> }).variables;
}

/** Validation runs in the constructor, so nothing needs synthesizing. */
function construct(props: Partial<WarmupHookProps>): void {
  addWarmup(new TerraformStack(Testing.app(), "stack"), props);
}

const load = (env: Record<string, string | undefined>) => loadConfig(env, dir);

describe("warmup settings", () => {
  test("GIVEN the table WHEN its props are listed THEN each is a WarmupHook prop, at most once", () => {
    const props = tableProps.filter((p) => p !== undefined);
    expect(new Set(props).size).toBe(props.length);
  });

  describe("GIVEN a WarmupHook with default props", () => {
    let env: Record<string, string>;
    beforeAll(() => {
      env = environmentOf();
    });

    test.each(withProp.map((s) => [s.env, s] as const))("WHEN the Lambda loses %s THEN it runs exactly as the construct configured it", (name) => {
      const { [name]: _dropped, ...without } = env;
      expect(load(without)).toEqual(load(env));
    });
  });

  test.each([30, 7200])("GIVEN a launch hook of %i s WHEN synthesized THEN the Lambda accepts every derived value", (heartbeatTimeoutSeconds) => {
    expect(() => load(environmentOf({}, { heartbeatTimeoutSeconds }))).not.toThrow();
  });

  describe.each(ranged.map((s) => [s.prop, s] as const))("GIVEN %s", (prop, setting) => {
    const step = setting.type === "integer" ? 1 : 0.01;
    // A one-worker fleet, so that the construct's floors for concurrency and maxRequests are 1 too.
    const props = (value: number): Partial<WarmupHookProps> => ({ workersPerInstance: 1, concurrency: 1, [prop]: value });

    test.each([setting.min, setting.max])("WHEN %s THEN synth and the Lambda both accept it", (value) => {
      expect(() => construct(props(value))).not.toThrow();
      expect(() => load({ [setting.env]: String(value) })).not.toThrow();
    });

    // Rounded, so that 1.1 - 0.01 is 1.09 and not 1.0900000000000001.
    const outside = [setting.min - step, setting.max + step, ...(setting.type === "integer" ? [setting.min + 0.5] : [])].map((v) => Number(v.toFixed(2)));
    test.each(outside)("WHEN %s THEN synth and the Lambda both reject it, naming the prop and the variable", (value) => {
      // The message format is PropValidationError's; constructing once keeps the test fast.
      expect(() => construct(props(value))).toThrow(`invalid ${prop} = ${value}. Allowed: `);
      expect(() => load({ [setting.env]: String(value) })).toThrow(ConfigError);
      expect(() => load({ [setting.env]: String(value) })).toThrow(`${setting.env}="${value}" must be`);
    });
  });

  test("GIVEN every configuration of the body and the worker count WHEN synthesized THEN each WARMUP_ variable set is in the table, and each table variable is set", () => {
    const sized = { workersPerInstance: 4, concurrency: 8, maxRequests: 80 };
    const names = [environmentOf(), environmentOf({ bodyFile: payload, ...sized }), ecsHostEnvironment()].flatMap((env) => Object.keys(env)).filter((name) => name.startsWith("WARMUP_"));
    expect([...new Set(names)].sort()).toEqual(settings.map((s) => s.env).sort());
  });

  test("GIVEN the enums of the construct and the Lambda WHEN compared with the table THEN they allow the same values", () => {
    const sorted = (values: readonly string[]) => [...values].sort();
    expect(sorted(Object.values(WarmupMethod))).toEqual(sorted(WARMUP_SETTINGS.method.values));
    expect(sorted(Object.values(IncompleteWarmupResult))).toEqual(sorted(WARMUP_SETTINGS.onIncomplete.values));
    expect(sorted(Object.values(IncompleteAction))).toEqual(sorted(WARMUP_SETTINGS.onIncomplete.values));
    expect(sorted(Object.values(WarmupMode))).toEqual(sorted(WARMUP_SETTINGS.mode.values));
  });

  describe("GIVEN WarmupHookProps' JSDoc", () => {
    let defaults: Map<string, string | undefined>;
    beforeAll(() => {
      const hook = readPropsInterfaces(join(__dirname, "..", "..", "modules", "warmup-hook.ts")).find((i) => i.name === "WarmupHookProps");
      defaults = new Map(hook?.props.map((p) => [p.name, p.defaultText]));
    });

    test.each(withProp.map((s) => [s.prop, s] as const))("WHEN %s's @default is read THEN it says what the table says", (prop, setting) => {
      expect(defaults.get(prop)).toMatch(jsdocDefault(setting));
    });
  });
});

/** The `@default` text that states the setting's default in the JSDoc's style. */
function jsdocDefault(setting: WarmupSetting): RegExp {
  const exactly = (text: string) => new RegExp(`^${text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}$`);
  if (setting.derived !== undefined) {
    return exactly(`- ${setting.derived}`);
  }
  if (setting.default === undefined) return /^- /;
  if (setting.type === "enum") return new RegExp(`^\\w+\\.${setting.default}$`);
  return exactly(typeof setting.default === "number" ? String(setting.default) : JSON.stringify(setting.default));
}
