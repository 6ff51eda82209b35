import { Construct } from "constructs";
import { Fn } from "cdktf";
import { CloudwatchDashboard } from "@cdktf/provider-aws/lib/cloudwatch-dashboard";
import { DataAwsRegion } from "@cdktf/provider-aws/lib/data-aws-region";
import { requireResourceName } from "./internal/validation";
import { jsonencode } from "./internal/jsonencode";

/** What the dashboard shows of a warmup path; WarmupHook provides it. */
export interface DashboardWarmup {
  /** Name of the Auto Scaling group (group metrics and the warmup metrics' dimension). */
  readonly autoScalingGroupName: string;
  /** Namespace of the warmup function's embedded metrics. */
  readonly metricsNamespace: string;
}

/** What the dashboard shows of a reconciler; WarmupReconciler provides it. */
export interface DashboardReconciler {
  /** Namespace of the reconciler's metrics. */
  readonly metricsNamespace: string;
}

/** What the dashboard shows of the load balancer; InferenceLoadBalancer provides it. */
export interface DashboardLoadBalancer {
  /** ARN of the fleet's target group. */
  readonly targetGroupArn: string;
}

export interface FleetDashboardProps {
  /** Name of the dashboard, 1 to 255 letters, digits and hyphens. */
  readonly name: string;
  /** The warmup path of the fleet. */
  readonly warmup: DashboardWarmup;
  /** The reconciler: waiting and stuck instances beside the group's pending ones. @default - no reconciler graphs */
  readonly reconciler?: DashboardReconciler;
  /** The load balancer: requests per target. @default - no request graph */
  readonly loadBalancer?: DashboardLoadBalancer;
}

type MetricLine = readonly unknown[];

/**
 * One CloudWatch dashboard for a warm fleet: warm pool size, pending instances (and, with a
 * reconciler, those waiting on the launch hook and those stuck), warmup duration, warmup outcomes,
 * the cold and warm latency warmup saw, and requests per target. Group and warm pool graphs need
 * the group's metrics collection, which InferenceFleet turns on.
 */
export class FleetDashboard extends Construct {
  /** Name of the dashboard. */
  public readonly dashboardName: string;
  /** ARN of the dashboard. */
  public readonly dashboardArn: string;

  constructor(scope: Construct, id: string, props: FleetDashboardProps) {
    super(scope, id);
    requireResourceName(this, "name", props.name, 1, 255, "use the stack's name, for example");
    const region = new DataAwsRegion(this, "Region").name;
    const group = props.warmup.autoScalingGroupName;
    const warm = props.warmup.metricsNamespace;
    const asg = (metric: string, label: string): MetricLine => ["AWS/AutoScaling", metric, "AutoScalingGroupName", group, { stat: "Maximum", label }];
    const warmup = (metric: string, stat: string, label: string): MetricLine => [warm, metric, "AutoScalingGroupName", group, { stat, label }];
    const widgets = [
      graph("Warm pool", [asg("WarmPoolDesiredCapacity", "desired"), asg("WarmPoolWarmedCapacity", "warmed"), asg("WarmPoolPendingCapacity", "pending")]),
      graph("Instances", [
        asg("GroupDesiredCapacity", "desired"),
        asg("GroupInServiceInstances", "in service"),
        asg("GroupPendingInstances", "pending"),
        ...(props.reconciler ? reconcilerLines(props.reconciler.metricsNamespace, group) : []),
      ]),
      graph("Warmup duration (ms)", [warmup("DurationMs", "p50", "p50"), warmup("DurationMs", "p99", "p99"), warmup("HealthWaitMs", "p50", "health wait p50")]),
      graph("Warmup outcomes", ["warmed", "prepared", "incomplete", "abandoned"].map((outcome) => warmup(`Outcome_${outcome}`, "Sum", outcome)), "bar"),
      graph("Latency warmup saw (ms)", [warmup("ColdLatencyMs", "Maximum", "cold (slowest first answer)"), warmup("WarmLatencyMs", "p50", "warm")]),
      ...(props.loadBalancer ? [graph("Requests per target", [requestsPerTarget(props.loadBalancer.targetGroupArn)])] : []),
    ];
    const dashboard = new CloudwatchDashboard(this, "Dashboard", {
      dashboardName: props.name,
      // jsonencode: the group, namespace and target group are references.
      dashboardBody: jsonencode({ widgets: widgets.map((widget, i) => placed(widget, i, region)) }),
    });
    this.dashboardName = dashboard.dashboardName;
    this.dashboardArn = dashboard.dashboardArn;
  }
}

interface Graph {
  readonly title: string;
  readonly metrics: readonly MetricLine[];
  readonly view: "timeSeries" | "bar";
}

function graph(title: string, metrics: readonly MetricLine[], view: Graph["view"] = "timeSeries"): Graph {
  return { title, metrics, view };
}

function reconcilerLines(namespace: string, group: string): MetricLine[] {
  return [
    [namespace, "WaitingInstances", "AutoScalingGroupName", group, { stat: "Maximum", label: "waiting on the launch hook" }],
    [namespace, "StuckInstances", "AutoScalingGroupName", group, { stat: "Maximum", label: "stuck (reconciled)" }],
  ];
}

/** The target group's RequestCountPerTarget: its dimension is the ARN's resource, "targetgroup/<name>/<id>". */
function requestsPerTarget(targetGroupArn: string): MetricLine {
  const targetGroup = Fn.element(Fn.split(":", targetGroupArn), 5);
  return ["AWS/ApplicationELB", "RequestCountPerTarget", "TargetGroup", targetGroup, { stat: "Sum", label: "requests per target" }];
}

/** Two graphs per row, 12 x 6 each. */
function placed(widget: Graph, index: number, region: string): Record<string, unknown> {
  return {
    type: "metric",
    x: (index % 2) * 12,
    y: Math.floor(index / 2) * 6,
    width: 12,
    height: 6,
    properties: { title: widget.title, view: widget.view, region, period: 60, metrics: widget.metrics, stacked: false },
  };
}
