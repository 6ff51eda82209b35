import { App } from "cdktf";
import { environments } from "./stacks/environments";
import { buildStacks } from "./stacks/inference-stack";

const app = new App();
buildStacks(app, environments);
app.synth();
