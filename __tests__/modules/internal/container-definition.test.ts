import { containerDefinition } from "../../../modules/internal/container-definition";

// The exact JSON ECS reads back for a registered container: written this way, the provider finds no
// difference after apply and does not replace the task definition on every plan
// (hashicorp/terraform-provider-aws#5323, terraform-aws-modules/terraform-aws-ecs#148).
describe("containerDefinition", () => {
  test("GIVEN an app container with a port, environment, a read-only mount and a health check WHEN written THEN every field ECS fills in is there, environment sorted by name", () => {
    // WHEN
    const definition = containerDefinition({
      name: "app",
      image: "123456789012.dkr.ecr.ap-northeast-1.amazonaws.com/infer:1.0",
      essential: true,
      ports: [8080],
      environment: { MODEL_PATH: "/models/resnet.onnx", INFERENCE_WORKERS: "2" },
      mounts: [{ sourceVolume: "models", containerPath: "/models", readOnly: true }],
      healthCheck: { command: ["CMD-SHELL", "curl -fsS http://localhost:8080/ready || exit 1"], intervalSeconds: 30, timeoutSeconds: 5, retries: 3, startPeriodSeconds: 120 },
      logging: { logDriver: "awslogs", options: { "awslogs-group": "/ecs/infer", "awslogs-region": "ap-northeast-1", "awslogs-stream-prefix": "app" } },
    });

    // THEN
    expect(JSON.stringify(definition)).toBe(
      JSON.stringify({
        name: "app",
        image: "123456789012.dkr.ecr.ap-northeast-1.amazonaws.com/infer:1.0",
        cpu: 0,
        essential: true,
        portMappings: [{ containerPort: 8080, hostPort: 8080, protocol: "tcp" }],
        environment: [
          { name: "INFERENCE_WORKERS", value: "2" },
          { name: "MODEL_PATH", value: "/models/resnet.onnx" },
        ],
        environmentFiles: [],
        mountPoints: [{ sourceVolume: "models", containerPath: "/models", readOnly: true }],
        volumesFrom: [],
        systemControls: [],
        logConfiguration: { logDriver: "awslogs", options: { "awslogs-group": "/ecs/infer", "awslogs-region": "ap-northeast-1", "awslogs-stream-prefix": "app" } },
        healthCheck: { command: ["CMD-SHELL", "curl -fsS http://localhost:8080/ready || exit 1"], interval: 30, timeout: 5, retries: 3, startPeriod: 120 },
      }),
    );
  });

  test("GIVEN a FireLens router sidecar and an app on awsfirelens with ECS Exec WHEN written THEN the optional blocks appear and nothing else changes", () => {
    // WHEN
    const router = containerDefinition({
      name: "log-router",
      image: "public.ecr.aws/aws-observability/aws-for-fluent-bit:3.2.1",
      essential: true,
      ports: [],
      environment: {},
      mounts: [],
      memoryReservationMiB: 50,
      firelens: { type: "fluentbit", options: { "config-file-type": "file", "config-file-value": "/fluent-bit/etc/extra.conf" } },
      logging: { logDriver: "awslogs", options: { "awslogs-group": "/ecs/infer" } },
    });
    const app = containerDefinition({
      name: "app",
      image: "infer:1",
      essential: true,
      ports: [],
      environment: {},
      mounts: [],
      initProcessEnabled: true,
      dependsOn: [{ containerName: "log-router", condition: "START" }],
      logging: { logDriver: "awsfirelens", options: {} },
    });

    // THEN
    expect(router).toEqual({
      name: "log-router",
      image: "public.ecr.aws/aws-observability/aws-for-fluent-bit:3.2.1",
      cpu: 0,
      essential: true,
      portMappings: [],
      environment: [],
      environmentFiles: [],
      mountPoints: [],
      volumesFrom: [],
      systemControls: [],
      logConfiguration: { logDriver: "awslogs", options: { "awslogs-group": "/ecs/infer" } },
      memoryReservation: 50,
      firelensConfiguration: { type: "fluentbit", options: { "config-file-type": "file", "config-file-value": "/fluent-bit/etc/extra.conf" } },
    });
    expect(app).toMatchObject({ linuxParameters: { initProcessEnabled: true }, dependsOn: [{ containerName: "log-router", condition: "START" }], logConfiguration: { logDriver: "awsfirelens" } });
    expect(app.logConfiguration).not.toHaveProperty("options");
    expect(app.healthCheck).toBeUndefined();
  });
});
