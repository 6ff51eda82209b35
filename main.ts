import { App } from "cdktf";
import { environments } from "./stacks/environments";
import { InferenceStack, stackName } from "./stacks/inference-stack";

const app = new App();
for (const environment of environments) {
  new InferenceStack(app, stackName(environment), environment);
}
app.synth();
