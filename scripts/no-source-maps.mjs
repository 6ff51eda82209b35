// Synth needs no source-mapped stack traces: tsx turns source maps on for every module it loads,
// and parsing the maps of cdktf and the AWS provider costs a third of a synth (npm run bench:synth).
process.setSourceMapsEnabled(false);
