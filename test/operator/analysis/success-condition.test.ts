import { describe, expect, it } from "vitest";
import {
  evaluateSuccessCondition,
  SuccessConditionError,
} from "../../../operator/analysis/success-condition.ts";
import { SUCCESS_CONDITION_PATTERN } from "../../../operator/api/analysis-spec.ts";

describe("evaluateSuccessCondition", () => {
  it.each([
    ["result < 0.05", 0.04, true],
    ["result < 0.05", 0.05, false],
    ["result <= 0.05", 0.05, true],
    ["result > 2", 2.5, true],
    ["result >= 2", 1.999, false],
    ["result == 1", 1, true],
    ["result != 1", 1, false],
    ["result<-1", -2, true],
    ["result >= -1.5", -1.5, true],
    ["result >= 1 && result < 3", 2, true],
    ["result >= 1 && result < 3", 3, false],
    ["result < 1 || result > 3", 4, true],
    ["result < 1 || result > 3", 2, false],
    // && binds tighter: false || (true && true)
    ["result < 0 || result > 1 && result < 5", 3, true],
    // (true && false) || false
    ["result > 0 && result > 5 || result < -1", 3, false],
    // true || (false && ...): a left || wins even when the right && fails
    ["result > 0 || result > 5 && result < 4", 3, true],
    ["  result   <   10  ", 9, true],
  ])("%s with result %s is %s", (condition, result, expected) => {
    expect(new RegExp(SUCCESS_CONDITION_PATTERN).test(condition)).toBe(true);
    expect(evaluateSuccessCondition(condition, result)).toBe(expected);
  });

  it.each([
    ["", "is empty"],
    ["result", 'expected a comparison after "result", found the end'],
    ["result <", 'expected a number after "<", found the end'],
    ["result < x", 'unexpected "x"'],
    ["0.05 > result", 'expected "result", found "0.05"'],
    ["result < 1 &&", 'ends with "&&"'],
    ["result < 1 & result > 0", 'unexpected "& result > 0"'],
    ["result < 1 result > 0", 'expected && or ||, found "result"'],
    ["result < 1; process.exit()", 'unexpected "; process.exit()"'],
    ["result = 1", 'unexpected "= 1"'],
  ])("rejects %j: %s", (condition, problem) => {
    expect(() => evaluateSuccessCondition(condition, 1)).toThrow(SuccessConditionError);
    expect(() => evaluateSuccessCondition(condition, 1)).toThrow(
      `successCondition "${condition}": ${problem}`,
    );
  });
});
