// The package root: warmfleet's public surface. Everything a construct's users need (constructs,
// their props types, enums, interfaces they implement) is exported here; modules/internal is not.
export * from "./network";
export * from "./inference-load-balancer";
export * from "./inference-fleet";
export * from "./vpc-endpoints";
export * from "./warmup-hook";
export * from "./warmup-settings";
export { PropValidationError } from "./internal/validation";
