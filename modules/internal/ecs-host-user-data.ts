// User data of an ECS host of the warm fleet. It runs once, on the first boot (the one that takes
// an instance into the warm pool, or straight into service): it writes the agent's configuration,
// pulls the service images onto the EBS root so a Stopped instance keeps them, and tags the
// instance "host ready" last. On the ECS-optimized AMI, ecs.service starts After=cloud-final, so
// the agent registers only once this script has finished (never restart the agent from here: that
// deadlocks cloud-final).

/** Instance tag the user data sets last; the warmup function waits for it on the way into the warm pool. */
export const HOST_READY_TAG = "warmfleet:host-ready";

export interface EcsHostUserDataSpec {
  /** Cluster the agent joins. */
  readonly clusterName: string;
  /** ECS_IMAGE_PULL_BEHAVIOR value: default, always, once or prefer-cached. */
  readonly imagePullBehavior: string;
  /** Images pulled at first boot (ECR registries are logged in to first). */
  readonly prePullImages: readonly string[];
  /** Block awsvpc tasks from the instance metadata (and so the instance role). */
  readonly blockTaskImds: boolean;
  /** More script run after the pre-pull, before the ready tag. */
  readonly extraUserData?: string;
}

/** The bash script; values may be Terraform tokens (they are interpolated before boot). */
export function ecsHostUserData(spec: EcsHostUserDataSpec): string {
  const config = [
    `ECS_CLUSTER=${spec.clusterName}`,
    // The agent does not register while the instance is being prepared for the warm pool.
    "ECS_WARM_POOLS_CHECK=true",
    `ECS_IMAGE_PULL_BEHAVIOR=${spec.imagePullBehavior}`,
    ...(spec.blockTaskImds ? ["ECS_AWSVPC_BLOCK_IMDS=true"] : []),
  ];
  return [
    "#!/bin/bash",
    "set -euo pipefail",
    "",
    "cat >> /etc/ecs/ecs.config <<'ECS_CONFIG'",
    ...config,
    "ECS_CONFIG",
    "",
    "imds() {",
    '  local token; token=$(curl -sf -X PUT http://169.254.169.254/latest/api/token -H "X-aws-ec2-metadata-token-ttl-seconds: 300")',
    '  curl -sf -H "X-aws-ec2-metadata-token: $token" "http://169.254.169.254/latest/meta-data/$1"',
    "}",
    "REGION=$(imds placement/region)",
    "INSTANCE_ID=$(imds instance-id)",
    "command -v aws >/dev/null || dnf install -y -q awscli-2",
    "",
    "cat > /var/lib/warmfleet-prepull-images <<'IMAGES'",
    ...spec.prePullImages,
    "IMAGES",
    "if grep -q . /var/lib/warmfleet-prepull-images; then",
    "  systemctl start docker",
    "  while read -r image <&3; do",
    '    [ -n "$image" ] || continue',
    '    registry=$(echo "$image" | cut -d/ -f1)',
    '    if [[ "$registry" == *.dkr.ecr.*.amazonaws.com ]]; then',
    '      aws ecr get-login-password --region "$(echo "$registry" | cut -d. -f4)" | docker login --username AWS --password-stdin "$registry"',
    "    fi",
    '    for attempt in 1 2 3; do docker pull "$image" && break; [ "$attempt" -lt 3 ] || exit 1; sleep 10; done',
    "  done 3< /var/lib/warmfleet-prepull-images",
    "fi",
    ...(spec.extraUserData ? ["", "# Caller's user data", spec.extraUserData.replace(/^#!.*\n/, "")] : []),
    "",
    `aws ec2 create-tags --region "$REGION" --resources "$INSTANCE_ID" --tags "Key=${HOST_READY_TAG},Value=$(date +%s)"`,
    "",
  ].join("\n");
}
