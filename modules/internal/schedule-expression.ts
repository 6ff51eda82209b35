// EventBridge Scheduler's recurring expressions, checked at synth time: a typo in a cron field
// otherwise surfaces only as a ValidationException from CreateSchedule during apply, after the
// queue, definition and roles already exist. Grammar from the EventBridge Scheduler user guide
// (schedule types): six cron fields, rate(value unit).
import { PropValidationError, ValidationScope, isUnresolved } from "./validation";

/** Why an expression is not valid, in words for the error message; undefined when it is valid. */
export type ExpressionProblem = string | undefined;

interface CronField {
  readonly name: string;
  readonly min: number;
  readonly max: number;
  /** Names accepted instead of numbers (JAN = 1, SUN = 1). */
  readonly names?: readonly string[];
  /** Special items allowed besides values, ranges and steps. */
  readonly special: RegExp;
}

const NONE = /^(?!)/;

const CRON_FIELDS: readonly CronField[] = [
  { name: "minutes", min: 0, max: 59, special: NONE },
  { name: "hours", min: 0, max: 23, special: NONE },
  // L (last day), LW (last weekday), 15W (weekday nearest the 15th).
  { name: "day-of-month", min: 1, max: 31, special: /^(L|LW|([1-9]|[12]\d|3[01])W)$/ },
  { name: "month", min: 1, max: 12, names: ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"], special: NONE },
  // L (Saturday), 6L (last Friday of the month), 2#1 (first Monday of the month).
  { name: "day-of-week", min: 1, max: 7, names: ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"], special: /^(L|([1-7]|SUN|MON|TUE|WED|THU|FRI|SAT)(L|#[1-5]))$/i },
  { name: "year", min: 1970, max: 2199, special: NONE },
];

const RATE_UNITS = ["minute", "hour", "day"];

/** Problem with a Scheduler expression: cron(six fields) or rate(value unit). */
export function scheduleExpressionProblem(expression: string): ExpressionProblem {
  const cron = /^cron\((.*)\)$/.exec(expression);
  if (cron) return cronProblem(cron[1]);
  const rate = /^rate\((.*)\)$/.exec(expression);
  if (rate) return rateProblem(rate[1]);
  return "neither cron(...) nor rate(...)";
}

function rateProblem(body: string): ExpressionProblem {
  const match = /^(\d+) ([a-z]+)$/.exec(body);
  if (!match) return `rate(${body}) is not "rate(<value> <unit>)"`;
  const value = Number(match[1]);
  const unit = match[2];
  const singular = unit.replace(/s$/, "");
  if (!RATE_UNITS.includes(singular)) return `unit "${unit}" is not minute(s), hour(s) or day(s)`;
  if (value < 1) return "the value must be a positive integer";
  // The unit is singular for 1 and plural above: rate(1 hour), rate(2 hours).
  const expected = value === 1 ? singular : `${singular}s`;
  if (unit !== expected) return `write rate(${value} ${expected})`;
  return undefined;
}

function cronProblem(body: string): ExpressionProblem {
  const fields = body.trim().split(/\s+/);
  if (fields.length !== 6) {
    return `cron() needs 6 fields (minutes hours day-of-month month day-of-week year), found ${fields.length}`;
  }
  for (const [i, field] of CRON_FIELDS.entries()) {
    const problem = fieldProblem(field, fields[i]);
    if (problem) return `${field.name} field "${fields[i]}": ${problem}`;
  }
  const [dayOfMonth, dayOfWeek] = [fields[2], fields[4]];
  // One of the two day fields must be "?": both given (or both "?") is ambiguous.
  if ((dayOfMonth === "?") === (dayOfWeek === "?")) {
    return 'exactly one of day-of-month and day-of-week must be "?" (e.g. cron(0 2 * * ? *) or cron(0 2 ? * MON-FRI *))';
  }
  return undefined;
}

function fieldProblem(field: CronField, text: string): ExpressionProblem {
  if (text === "?") {
    return field.name === "day-of-month" || field.name === "day-of-week" ? undefined : '"?" is only allowed in day-of-month and day-of-week';
  }
  for (const item of text.split(",")) {
    const problem = itemProblem(field, item);
    if (problem) return problem;
  }
  return undefined;
}

/** One comma-separated item: *, a value, a range, any of them with /step, or a special. */
function itemProblem(field: CronField, item: string): ExpressionProblem {
  if (field.special.test(item)) return undefined;
  const [base, step, ...extra] = item.split("/");
  if (extra.length > 0) return `"${item}" has more than one /`;
  if (step !== undefined && !/^[1-9]\d*$/.test(step)) return `step "${step}" is not a positive integer`;
  if (base === "*") return undefined;
  const [from, to, ...rest] = base.split("-");
  if (rest.length > 0) return `"${base}" is not a range a-b`;
  for (const value of to === undefined ? [from] : [from, to]) {
    if (valueOf(field, value) === undefined) return `"${value}" is not ${describeValues(field)}`;
  }
  return undefined;
}

function valueOf(field: CronField, text: string): number | undefined {
  const named = field.names?.indexOf(text.toUpperCase()) ?? -1;
  if (named >= 0) return named + 1;
  if (!/^\d+$/.test(text)) return undefined;
  const value = Number(text);
  return value >= field.min && value <= field.max ? value : undefined;
}

function describeValues(field: CronField): string {
  const names = field.names ? ` or ${field.names[0]}-${field.names[field.names.length - 1]}` : "";
  return `${field.min}-${field.max}${names}`;
}

/**
 * Problem with an IANA time zone name ("Asia/Tokyo"). Node's ICU knows the same database
 * Scheduler uses; a name that only differs in case is refused with the right spelling.
 */
export function timeZoneProblem(timeZone: string): ExpressionProblem {
  let resolved: string;
  try {
    resolved = new Intl.DateTimeFormat("en-US", { timeZone }).resolvedOptions().timeZone;
  } catch {
    return "not an IANA time zone name";
  }
  if (resolved !== timeZone && resolved.toLowerCase() === timeZone.toLowerCase()) return `write "${resolved}"`;
  return undefined;
}

/** A recurring Scheduler expression; unresolved values pass. */
export function requireScheduleExpression(scope: ValidationScope, prop: string, expression: string): void {
  if (isUnresolved(expression)) return;
  const problem = scheduleExpressionProblem(expression);
  if (problem === undefined) return;
  throw new PropValidationError(
    scope,
    prop,
    expression,
    "cron(minutes hours day-of-month month day-of-week year) with one day field \"?\", or rate(<n> minute(s)|hour(s)|day(s))",
    `${problem}; for every night at 02:00 write "cron(0 2 * * ? *)"`,
  );
}

/** An IANA time zone name such as "Asia/Tokyo"; unresolved values pass. */
export function requireTimeZone(scope: ValidationScope, prop: string, timeZone: string): void {
  if (isUnresolved(timeZone)) return;
  const problem = timeZoneProblem(timeZone);
  if (problem === undefined) return;
  throw new PropValidationError(scope, prop, timeZone, 'an IANA time zone name such as "UTC", "Asia/Tokyo" or "Europe/Berlin"', problem);
}
