import { App } from "cdktf";
import { ModelStack } from "./stack";

const app = new App();
new ModelStack(app, "models");
app.synth();
