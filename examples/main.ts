// Synthesizes every example stack (examples/stacks/) into cdktf.out.examples/: npm run synth:examples
import { App } from "cdktf";
import { buildExampleStacks } from "./stacks";

const app = new App({ outdir: process.env.CDKTF_OUTDIR ?? "cdktf.out.examples" });
buildExampleStacks(app);
app.synth();
