// The package root: warmfleet's public surface. Everything a construct's users need (constructs,
// their props types, enums, interfaces they implement) is exported here; modules/internal is not.
export * from "./connections";
export * from "./grants";
export * from "./network";
export * from "./inference-load-balancer";
export * from "./inference-fleet";
export * from "./vpc-endpoints";
export * from "./warmup-hook";
export * from "./warmup-settings";
export * from "./batch-compute-environment";
export * from "./batch-job-queue";
export * from "./batch-job-definition";
export * from "./batch-schedule";
export * from "./batch-job-alarms";
export * from "./async-contract";
export * from "./async-request-queue";
export * from "./async-results-table";
export * from "./async-request-api";
export * from "./async-lambda-worker";
export * from "./async-queue-worker-service";
export * from "./async-alarms";
export { PropValidationError } from "./internal/validation";
