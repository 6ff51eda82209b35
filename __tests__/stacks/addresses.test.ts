import { Testing } from "cdktf";
import { dev } from "../../stacks/environments";
import { APP_PORT, buildStacks } from "../../stacks/inference-stack";
import { inferenceServerUserData } from "../../examples/inference-server/user-data";
import { SynthJson } from "../support/synth";

// Construct ids become Terraform addresses: renaming one makes `terraform plan` destroy the
// resource and create a new one (a security group rule, the ALB, the group itself). Every address
// of the default stack is pinned here, so an accidental rename fails review. When a change is
// meant (a new resource, a deliberate rename with a moved block), update the list in the same
// pull request and say why.
const PINNED = [
  "aws_autoscaling_group.Fleet_AutoScalingGroup_C64D6A02",
  "aws_autoscaling_lifecycle_hook.Fleet_LaunchHook_E287EAB8",
  "aws_autoscaling_policy.Fleet_TargetTrackingPolicy_BA3A2DE7",
  "aws_cloudwatch_dashboard.FleetDashboard_97B66AB1",
  "aws_cloudwatch_event_rule.Warmup_LaunchRule_204AE1A6",
  "aws_cloudwatch_event_target.Warmup_LaunchRuleTarget_7B9C97B9",
  "aws_cloudwatch_log_group.InstanceLogs_nginx-access_EC46F4B0",
  "aws_cloudwatch_log_group.InstanceLogs_nginx-error_441BFA39",
  "aws_cloudwatch_log_group.InstanceLogs_server_E4A143F9",
  "aws_cloudwatch_log_group.WarmupReconciler_LogGroup_C262BBC9",
  "aws_cloudwatch_log_group.Warmup_LogGroup_8E2B6CB8",
  "aws_cloudwatch_metric_alarm.FleetAlarms_AbandonedAlarm_0012F5CB",
  "aws_cloudwatch_metric_alarm.FleetAlarms_DeadLettersAlarm_FA703263",
  "aws_cloudwatch_metric_alarm.FleetAlarms_ReconcilerErrorsAlarm_A96AD7DB",
  "aws_cloudwatch_metric_alarm.FleetAlarms_ReconcilerThrottlesAlarm_37D501BC",
  "aws_cloudwatch_metric_alarm.FleetAlarms_ScheduleDeadLettersAlarm_BF94D43A",
  "aws_cloudwatch_metric_alarm.FleetAlarms_StuckInstancesAlarm_27E48926",
  "aws_cloudwatch_metric_alarm.FleetAlarms_WarmupDurationP99Alarm_6140AD6B",
  "aws_cloudwatch_metric_alarm.FleetAlarms_WarmupErrorsAlarm_C44B6BD4",
  "aws_cloudwatch_metric_alarm.FleetAlarms_WarmupThrottlesAlarm_3BD8349B",
  "aws_default_security_group.Network_DefaultSecurityGroup_6811E764",
  "aws_dynamodb_table.Warmup_ClaimsTable_AC46EE54",
  "aws_eip.Network_NatEip0_814C8120",
  "aws_iam_instance_profile.Fleet_InstanceProfile_C6192A66",
  "aws_iam_role.Fleet_InstanceRole_D994F874",
  "aws_iam_role.WarmupReconciler_Role_61192B61",
  "aws_iam_role.WarmupReconciler_SchedulerRole_9B521EBE",
  "aws_iam_role.Warmup_Role_3B73FC3F",
  "aws_iam_role_policy.Fleet_GrantsPolicy_D6ED39F6",
  "aws_iam_role_policy.WarmupReconciler_RuntimePolicy_5E1A2CDC",
  "aws_iam_role_policy.WarmupReconciler_SchedulerPolicy_082F2AF4",
  "aws_iam_role_policy.Warmup_LifecyclePolicy_1C0E140F",
  "aws_iam_role_policy.Warmup_RuntimePolicy_E206C66B",
  "aws_iam_role_policy_attachment.Fleet_SsmManagedInstanceCore_AB5DB20F",
  "aws_internet_gateway.Network_InternetGateway_D8FF3F66",
  "aws_kms_key.FleetAlarms_TopicKey_8D1F4CA8",
  "aws_lambda_function.WarmupReconciler_Function_C3B6B58A",
  "aws_lambda_function.Warmup_Function_378E2C98",
  "aws_lambda_function_event_invoke_config.WarmupReconciler_AsyncInvokeConfig_47E12110",
  "aws_lambda_function_event_invoke_config.Warmup_AsyncInvokeConfig_0E4E7F42",
  "aws_lambda_permission.Warmup_InvokeFromRule_443BB269",
  "aws_launch_template.Fleet_LaunchTemplate_FAC34002",
  "aws_lb.LoadBalancer_10456B95",
  "aws_lb_listener.LoadBalancer_HttpListener_154E9E2C",
  "aws_lb_target_group.LoadBalancer_TargetGroup_81D27C85",
  "aws_nat_gateway.Network_NatGateway0_0824BA8F",
  "aws_route.Network_PrivateSubnet0NatRoute_940FE91D",
  "aws_route.Network_PrivateSubnet1NatRoute_906806A0",
  "aws_route.Network_PublicDefaultRoute_810262AD",
  "aws_route_table.Network_PrivateRouteTable0_08C77454",
  "aws_route_table.Network_PrivateRouteTable1_027AC5C9",
  "aws_route_table.Network_PublicRouteTable_80927F7B",
  "aws_route_table_association.Network_PrivateSubnet0RouteTableAssociation_84557C97",
  "aws_route_table_association.Network_PrivateSubnet1RouteTableAssociation_FA33704E",
  "aws_route_table_association.Network_PublicSubnet0RouteTableAssociation_4D00ECBA",
  "aws_route_table_association.Network_PublicSubnet1RouteTableAssociation_0BFA7459",
  "aws_scheduler_schedule.WarmupReconciler_Schedule_D73BA1E6",
  "aws_security_group.ApiEndpoints_SecurityGroup_F6C5C8E4",
  "aws_security_group.Fleet_SecurityGroup_1001C624",
  "aws_security_group.LoadBalancer_SecurityGroup_7560AED0",
  "aws_security_group.Warmup_SecurityGroup_972C4C65",
  "aws_sns_topic.FleetAlarms_Topic_8A965476",
  "aws_sns_topic_policy.FleetAlarms_TopicPolicy_F604DA9F",
  "aws_sqs_queue.WarmupReconciler_ScheduleDeadLetterQueue_AC14F6DF",
  "aws_sqs_queue.Warmup_DeadLetterQueue_C6C3CE03",
  "aws_sqs_queue_policy.Warmup_DeadLetterQueuePolicy_CDEC1911",
  "aws_subnet.Network_PrivateSubnet0_A7C21DEC",
  "aws_subnet.Network_PrivateSubnet1_E8491189",
  "aws_subnet.Network_PublicSubnet0_B2FC5C28",
  "aws_subnet.Network_PublicSubnet1_3B56D098",
  "aws_vpc.Network_Vpc_FAC8F4A5",
  "aws_vpc_endpoint.ApiEndpoints_Endpoint-autoscaling_7F67A650",
  "aws_vpc_endpoint.ApiEndpoints_Endpoint-ec2_E4E1F1BE",
  "aws_vpc_endpoint.Network_DynamoDbGatewayEndpoint_DF8ADB82",
  "aws_vpc_endpoint.Network_S3GatewayEndpoint_013AB672",
  "aws_vpc_security_group_egress_rule.Fleet_EgressTcp443ToCidr0-0-0-0-0_D40AEACE",
  "aws_vpc_security_group_egress_rule.LoadBalancer_EgressTcp80ToFleet_1B9B686C",
  "aws_vpc_security_group_egress_rule.Warmup_EgressTcp443ToApiEndpoints_C4269F5B",
  "aws_vpc_security_group_egress_rule.Warmup_EgressTcp443ToPrefixListDynamoDb_395F7A1C",
  "aws_vpc_security_group_egress_rule.Warmup_EgressTcp80ToFleet_EDF04D92",
  "aws_vpc_security_group_ingress_rule.ApiEndpoints_IngressTcp443FromWarmup_50C0FD17",
  "aws_vpc_security_group_ingress_rule.Fleet_IngressTcp80FromLoadBalancer_9FDD6E5F",
  "aws_vpc_security_group_ingress_rule.Fleet_IngressTcp80FromWarmup_2239FC69",
  "aws_vpc_security_group_ingress_rule.LoadBalancer_IngressTcp80FromCidr0-0-0-0-0_1D2DDFC1",
  "data.aws_caller_identity.FleetAlarms_Account_44562B75",
  "data.aws_caller_identity.WarmupReconciler_Account_94F0ACC7",
  "data.aws_caller_identity.Warmup_Account_324E87DB",
  "data.aws_iam_policy_document.FleetAlarms_TopicKeyPolicy_504F7CFE",
  "data.aws_iam_policy_document.FleetAlarms_TopicPolicyDocument_B3E119D4",
  "data.aws_iam_policy_document.Fleet_GrantsPolicyDocument_6B9C659B",
  "data.aws_iam_policy_document.Fleet_InstanceTrustPolicy_9C56C217",
  "data.aws_iam_policy_document.WarmupReconciler_RuntimePolicyDocument_0CF751BB",
  "data.aws_iam_policy_document.WarmupReconciler_SchedulerPolicyDocument_F03E1ABD",
  "data.aws_iam_policy_document.WarmupReconciler_SchedulerTrustPolicy_C7F18E17",
  "data.aws_iam_policy_document.WarmupReconciler_TrustPolicy_7DCB075D",
  "data.aws_iam_policy_document.Warmup_DeadLetterQueuePolicyDocument_4084C965",
  "data.aws_iam_policy_document.Warmup_LifecyclePolicyDocument_D183696E",
  "data.aws_iam_policy_document.Warmup_RuntimePolicyDocument_BCB49E07",
  "data.aws_iam_policy_document.Warmup_TrustPolicy_88EBE639",
  "data.aws_partition.FleetAlarms_Partition_52164390",
  "data.aws_partition.Fleet_Partition_6A22BB33",
  "data.aws_partition.Warmup_Partition_264710B5",
  "data.aws_region.ApiEndpoints_Region_CFED2DFB",
  "data.aws_region.FleetDashboard_Region_E03108E2",
  "data.aws_region.Network_Region_73A7EACD",
  "data.aws_region.Warmup_Region_050DE3D0",
];

function addresses(json: SynthJson): string[] {
  const managed = Object.entries(json.resource ?? {}).flatMap(([type, byId]) => Object.keys(byId).map((id) => `${type}.${id}`));
  const data = Object.entries(json.data ?? {}).flatMap(([type, byId]) => Object.keys(byId).map((id) => `data.${type}.${id}`));
  return [...managed, ...data].sort();
}

describe("Terraform addresses of the default stack", () => {
  test("GIVEN the default environment WHEN synthesized THEN every resource keeps its pinned address", () => {
    const app = Testing.app();
    const [stack] = buildStacks(app, [dev], { userData: inferenceServerUserData({ port: APP_PORT }) });
    const actual = addresses(JSON.parse(Testing.synth(stack)) as SynthJson);
    const added = actual.filter((a) => !PINNED.includes(a));
    const removed = PINNED.filter((a) => !actual.includes(a));
    expect({ added, removed }).toEqual({ added: [], removed: [] });
  });
});
