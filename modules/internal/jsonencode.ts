import { Fn } from "cdktf";

/**
 * Terraform's jsonencode() of a value that may hold references. cdktf's Fn.jsonencode renders the
 * value as an HCL expression inside "${jsonencode(...)}" and escapes newlines and "${" in its
 * strings but not `"` or `\`, so a string such as a health-check command `python3 -c "..."` or
 * a path with a backslash would end the HCL string early and `terraform validate` fails. Every
 * string is escaped here first; token markers contain neither character.
 */
export function jsonencode(value: unknown): string {
  return Fn.jsonencode(escapedForHcl(value));
}

/** `value` with `\` and `"` escaped in every string, at every depth. */
export function escapedForHcl<T>(value: T): T {
  if (typeof value === "string") return value.replace(/\\/g, "\\\\").replace(/"/g, '\\"') as T;
  if (Array.isArray(value)) return value.map((item) => escapedForHcl(item)) as T;
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, escapedForHcl(item)])) as T;
  }
  return value;
}
