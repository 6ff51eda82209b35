import { StackPlan, countByType } from "../../../testing/offline-terraform";
import { examplePlan, planned, plannedActions } from "../../support/example-plan";

// examples/stacks/production-edge.ts: HTTPS, WAF, access logs, flow logs and deletion protection,
// through terraform init and an offline plan.
export function productionEdgePlanTests(): void {
  describe("example stack production-edge: offline plan", () => {
    let plan: StackPlan;
    beforeAll(() => {
      plan = examplePlan("production-edge");
    });

    test("GIVEN the stack WHEN planned (Terraform validates it first) THEN it only creates", () => {
      expect(plannedActions(plan)).toEqual(new Set(["create"]));
    });

    test("GIVEN the production edge WHEN planned THEN an internet-facing HTTPS ALB with deletion protection and access logs, behind a WAF, with flow logs", () => {
      expect(countByType(plan.plan)).toMatchObject({
        aws_lb_listener: 2,
        aws_wafv2_web_acl: 1,
        aws_wafv2_web_acl_association: 1,
        aws_wafv2_web_acl_logging_configuration: 1,
        aws_s3_bucket: 1,
        aws_s3_bucket_policy: 1,
        aws_s3_bucket_public_access_block: 1,
        aws_flow_log: 1,
      });
      expect(planned(plan, "aws_lb")).toMatchObject({ internal: false, enable_deletion_protection: true, drop_invalid_header_fields: true });
      expect(planned(plan, "aws_lb").access_logs[0]).toMatchObject({ enabled: true, prefix: "alb" });
      const acl = planned(plan, "aws_wafv2_web_acl");
      expect(acl.scope).toBe("REGIONAL");
      expect(acl.rule.map((r: { name: string }) => r.name).sort()).toEqual(["AWSManagedRulesCommonRuleSet", "AWSManagedRulesKnownBadInputsRuleSet", "max-request-body", "rate-limit-per-ip"]);
      expect(planned(plan, "aws_flow_log")).toMatchObject({ traffic_type: "ALL", log_destination_type: "cloud-watch-logs" });
      expect(planned(plan, "aws_s3_bucket_server_side_encryption_configuration").rule[0].apply_server_side_encryption_by_default[0].sse_algorithm).toBe("AES256");
    });
  });
}
