import { Construct } from "constructs";
import { FleetDashboard, FleetDashboardProps } from "../../modules/fleet-dashboard";
import { single, synth } from "../support/synth";

function dashboard(overrides: Partial<FleetDashboardProps> = {}) {
  return synth((scope: Construct) => {
    new FleetDashboard(scope, "Dashboard", {
      name: "prod-fleet",
      warmup: { autoScalingGroupName: "fleet", metricsNamespace: "Warmfleet/Warmup" },
      reconciler: { metricsNamespace: "Warmfleet/Warmup" },
      loadBalancer: { targetGroupArn: "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/prod/73e2d6bc24d8a067" },
      ...overrides,
    });
  });
}

/** The dashboard body: jsonencode(...) of an object literal, as CDKTF writes it. */
function body(json: ReturnType<typeof dashboard>["json"]): string {
  return String(single(json, "aws_cloudwatch_dashboard").dashboard_body);
}

describe("FleetDashboard", () => {
  const full = dashboard();

  test("GIVEN a fleet with a reconciler and a load balancer WHEN synthesized THEN six graphs show pool, instances, duration, outcomes, latency and requests per target", () => {
    const text = body(full.json);
    expect(single(full.json, "aws_cloudwatch_dashboard").dashboard_name).toBe("prod-fleet");
    for (const title of ["Warm pool", "Instances", "Warmup duration (ms)", "Warmup outcomes", "Latency warmup saw (ms)", "Requests per target"]) expect(text).toContain(title);
    for (const metric of ["WarmPoolWarmedCapacity", "GroupPendingInstances", "WaitingInstances", "StuckInstances", "DurationMs", "Outcome_abandoned", "ColdLatencyMs", "RequestCountPerTarget"]) {
      expect(text).toContain(metric);
    }
  });

  test("GIVEN a load balancer WHEN synthesized THEN requests per target use the resource part of the target group ARN as the dimension", () => {
    expect(body(full.json)).toContain('"TargetGroup", element(split(":", "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/prod/73e2d6bc24d8a067"), 5)');
  });

  test("GIVEN no reconciler and no load balancer WHEN synthesized THEN their graphs are left out", () => {
    const text = body(dashboard({ reconciler: undefined, loadBalancer: undefined }).json);
    expect(text).not.toContain("StuckInstances");
    expect(text).not.toContain("Requests per target");
    expect(text).toContain("WarmPoolWarmedCapacity");
  });

  test("GIVEN a bad name WHEN synthesized THEN it fails naming the prop", () => {
    expect(() => dashboard({ name: "prod fleet" })).toThrow(/name/);
  });
});
