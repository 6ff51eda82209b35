import { TerraformOutput } from "cdktf";
import { escapedForHcl, jsonencode } from "../../../modules/internal/jsonencode";
import { synth } from "../../support/synth";

describe("jsonencode", () => {
  test("GIVEN strings with quotes and backslashes WHEN escaped THEN only those characters are escaped, at every depth", () => {
    // WHEN
    const escaped = escapedForHcl({ command: ["CMD-SHELL", 'python3 -c "print(1)" || exit 1'], options: { path: "C:\\x" }, port: 8080, on: true });

    // THEN
    expect(escaped).toEqual({ command: ["CMD-SHELL", 'python3 -c \\"print(1)\\" || exit 1'], options: { path: "C:\\\\x" }, port: 8080, on: true });
  });

  test("GIVEN a value with a quoted command WHEN synthesized THEN the HCL expression holds the escaped string, which Terraform reads back as the original", () => {
    // WHEN
    const { json } = synth((scope) => new TerraformOutput(scope, "Out", { value: jsonencode({ command: 'echo "hi"' }) }));

    // THEN
    expect((json as { output?: Record<string, { value: string }> }).output?.Out.value).toBe('${jsonencode({"command" = "echo \\"hi\\""})}');
  });
});
