/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: "node",
  // The TypeScript sources only, not their tsc output in build/.
  testMatch: ["<rootDir>/*.test.ts"],
  transform: { "^.+\\.ts$": ["@swc/jest", { jsc: { target: "es2022", parser: { syntax: "typescript" } } }] },
  setupFilesAfterEnv: ["<rootDir>/jest.setup.ts"],
};
