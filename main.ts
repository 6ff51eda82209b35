import { App } from "cdktf";
import { environments } from "./stacks/environments";
import { APP_PORT, buildStacks } from "./stacks/inference-stack";
import { inferenceServerUserData } from "./examples/inference-server/user-data";

const app = new App();
buildStacks(app, environments, { userData: (logGroups) => inferenceServerUserData({ port: APP_PORT, logGroups }) });
app.synth();
