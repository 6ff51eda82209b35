import { PLAN_TIMEOUT_MS } from "../support/terraform";
import { planAllExamples } from "../support/example-plan";
import { examplePlanTests } from "./examples";

// Every example stack teams copy (examples/stacks/), through terraform init, validate and an offline
// plan: all of them in one Terraform run, then each stack's own assertions (examples/<id>.ts).
// Planning every stack at once can outlast one stack's limit on a loaded machine.
beforeAll(() => planAllExamples(), 3 * PLAN_TIMEOUT_MS);

for (const tests of Object.values(examplePlanTests)) tests();
