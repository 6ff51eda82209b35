import { requireScheduleExpression, requireTimeZone, scheduleExpressionProblem, timeZoneProblem } from "../../../modules/internal/schedule-expression";

describe("Scheduler expressions", () => {
  test.each([
    "cron(0 2 * * ? *)",
    "cron(30 1 ? * MON-FRI *)",
    "cron(0/15 * * * ? *)",
    "cron(0 8 1,15 * ? *)",
    "cron(0 18 L * ? *)",
    "cron(0 9 LW * ? *)",
    "cron(0 9 15W * ? *)",
    "cron(0 10 ? * 6L *)",
    "cron(0 10 ? * 2#1 *)",
    "cron(0 0 1 jan,jul ? 2030-2035)",
    "cron(*/5 8-17 ? * MON-FRI *)",
    "rate(1 minute)",
    "rate(5 minutes)",
    "rate(1 hour)",
    "rate(12 hours)",
    "rate(7 days)",
  ])("GIVEN %s WHEN checked THEN it is valid", (expression) => {
    expect(scheduleExpressionProblem(expression)).toBeUndefined();
  });

  test.each<[string, RegExp]>([
    ["0 2 * * ? *", /neither cron\(\.\.\.\) nor rate/],
    ["at(2030-01-01T00:00:00)", /neither cron/],
    ["cron(0 2 * * *)", /needs 6 fields .* found 5/],
    ["cron(0 2 * * ? * *)", /found 7/],
    ["cron(60 2 * * ? *)", /minutes field "60": "60" is not 0-59/],
    ["cron(0 24 * * ? *)", /hours field "24": "24" is not 0-23/],
    ["cron(0 2 0 * ? *)", /day-of-month field "0"/],
    ["cron(0 2 * 13 ? *)", /month field "13": "13" is not 1-12 or JAN-DEC/],
    ["cron(0 2 ? * 8 *)", /day-of-week field "8": "8" is not 1-7 or SUN-SAT/],
    ["cron(0 2 ? * FOO *)", /day-of-week field "FOO"/],
    ["cron(0 2 * * ? 1969)", /year field "1969"/],
    ["cron(0 2 * * * *)", /exactly one of day-of-month and day-of-week must be "\?"/],
    ["cron(0 2 ? * ? *)", /exactly one of day-of-month and day-of-week/],
    ["cron(? 2 * * ? *)", /minutes field "\?": "\?" is only allowed in day-of-month and day-of-week/],
    ["cron(0/0 2 * * ? *)", /step "0" is not a positive integer/],
    ["cron(0/5/5 2 * * ? *)", /more than one \//],
    ["cron(1-2-3 2 * * ? *)", /is not a range a-b/],
    ["cron(0 2 * * ? * )x", /neither cron/],
    ["cron(0 2 L * ? *)x", /neither/],
    ["cron(0 2 ? * 2#6 *)", /day-of-week field "2#6"/],
    ["cron(0 2 32W * ? *)", /day-of-month field "32W"/],
    ["rate(1 minutes)", /write rate\(1 minute\)/],
    ["rate(5 minute)", /write rate\(5 minutes\)/],
    ["rate(0 minutes)", /positive integer/],
    ["rate(2 weeks)", /unit "weeks" is not minute\(s\), hour\(s\) or day\(s\)/],
    ["rate(five minutes)", /is not "rate\(<value> <unit>\)"/],
  ])("GIVEN %s WHEN checked THEN the problem is named", (expression, problem) => {
    expect(scheduleExpressionProblem(expression)).toMatch(problem);
  });

  test("GIVEN a bad cron WHEN required THEN a PropValidationError names the prop, the problem and an example", () => {
    expect(() => requireScheduleExpression("BatchSchedule nightly", "expression", "cron(0 25 * * ? *)")).toThrow(
      /^BatchSchedule nightly: invalid expression = "cron\(0 25 \* \* \? \*\)"\. Allowed: cron\(minutes hours .*\. Fix: hours field "25": .*write "cron\(0 2 \* \* \? \*\)"/,
    );
  });

  test("GIVEN a valid expression WHEN required THEN nothing is thrown", () => {
    expect(() => requireScheduleExpression("S", "expression", "rate(1 day)")).not.toThrow();
  });
});

describe("time zones", () => {
  test.each(["UTC", "Asia/Tokyo", "Europe/Berlin", "America/Argentina/Buenos_Aires"])("GIVEN %s WHEN checked THEN it is valid", (zone) => {
    expect(timeZoneProblem(zone)).toBeUndefined();
  });

  test("GIVEN a name that is not a zone WHEN required THEN it is refused", () => {
    expect(() => requireTimeZone("S", "timeZone", "Tokyo")).toThrow(/invalid timeZone = "Tokyo"\. Allowed: an IANA time zone name .* Fix: not an IANA time zone name/);
  });

  test("GIVEN a zone in the wrong case WHEN required THEN the fix spells it right", () => {
    expect(() => requireTimeZone("S", "timeZone", "asia/tokyo")).toThrow(/Fix: write "Asia\/Tokyo"/);
  });
});
