import { spawnSync } from "node:child_process";
import { HOST_READY_TAG, ecsHostUserData } from "../../../modules/internal/ecs-host-user-data";
import { HOST_READY_TAG as LAMBDA_HOST_READY_TAG } from "../../../lambdas/warmup/ecs-host";

const spec = {
  clusterName: "inference",
  imagePullBehavior: "prefer-cached",
  prePullImages: ["123456789012.dkr.ecr.us-east-1.amazonaws.com/server:1.4", "public.ecr.aws/aws-observability/aws-for-fluent-bit:3.2.1"],
  blockTaskImds: true,
};

describe("ecsHostUserData", () => {
  test("GIVEN a cluster and images WHEN rendered THEN the agent config joins the cluster, skips registration in the warm pool and prefers cached images", () => {
    const script = ecsHostUserData(spec);
    expect(script).toMatch(/^#!\/bin\/bash\n/);
    expect(script).toContain(
      "cat >> /etc/ecs/ecs.config <<'ECS_CONFIG'\nECS_CLUSTER=inference\nECS_WARM_POOLS_CHECK=true\nECS_IMAGE_PULL_BEHAVIOR=prefer-cached\nECS_AWSVPC_BLOCK_IMDS=true\nECS_CONFIG\n",
    );
  });

  test("GIVEN images WHEN rendered THEN each is listed for the pre-pull, ECR registries are logged in to, and pulls are retried then fail the script", () => {
    const script = ecsHostUserData(spec);
    expect(script).toContain(`<<'IMAGES'\n${spec.prePullImages.join("\n")}\nIMAGES\n`);
    expect(script).toContain('if [[ "$registry" == *.dkr.ecr.*.amazonaws.com ]]; then');
    expect(script).toContain('for attempt in 1 2 3; do docker pull "$image" && break; [ "$attempt" -lt 3 ] || exit 1; sleep 10; done');
  });

  test("GIVEN a script WHEN rendered THEN the host-ready tag is its last command, the one the warmup function waits for", () => {
    const lines = ecsHostUserData({ ...spec, extraUserData: "#!/bin/bash\necho caller" }).trimEnd().split("\n");
    expect(lines.at(-1)).toBe(`aws ec2 create-tags --region "$REGION" --resources "$INSTANCE_ID" --tags "Key=${HOST_READY_TAG},Value=$(date +%s)"`);
    expect(lines).toContain("echo caller");
    expect(lines.filter((line) => line.startsWith("#!"))).toEqual(["#!/bin/bash"]);
    expect(HOST_READY_TAG).toBe(LAMBDA_HOST_READY_TAG);
  });

  test("GIVEN containers allowed to reach IMDS WHEN rendered THEN ECS_AWSVPC_BLOCK_IMDS is not set", () => {
    expect(ecsHostUserData({ ...spec, blockTaskImds: false })).not.toContain("ECS_AWSVPC_BLOCK_IMDS");
  });

  test("GIVEN a script with caller user data WHEN parsed by bash -n THEN it has no syntax error", () => {
    const parsed = spawnSync("bash", ["-n"], { input: ecsHostUserData({ ...spec, extraUserData: "echo caller" }), encoding: "utf8" });
    expect({ status: parsed.status, stderr: parsed.stderr }).toEqual({ status: 0, stderr: "" });
  });
});
