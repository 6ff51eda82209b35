import { NumericWarmupSetting } from "../warmup-settings";
import { PropValidationError, ValidationScope, isUnresolved } from "./validation";

/**
 * Checks a WarmupHook prop against its setting's range, in the Lambda's words for the same
 * variable, so synth rejects exactly what the function would refuse at cold start.
 */
export function requireSettingInRange(scope: ValidationScope, setting: NumericWarmupSetting & { readonly prop: string }, value: number | undefined): void {
  if (value === undefined || isUnresolved(value)) return;
  const { type, min, max, unit } = setting;
  const integer = type === "integer";
  // Written so that NaN fails too.
  if (!(value >= min && value <= max) || (integer && !Number.isInteger(value))) {
    const allowed = `${integer ? "an integer" : "a number"} from ${min} to ${max}`;
    throw new PropValidationError(scope, setting.prop, value, allowed, `use ${min} to ${max}${unit === undefined ? "" : ` ${unit}`}`);
  }
}
