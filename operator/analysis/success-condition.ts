/**
 * Evaluates a metric's `successCondition`: comparisons of `result` with numbers joined by `&&` and
 * `||`, where `&&` binds tighter (`a || b && c` is `a || (b && c)`). The grammar is our own and
 * the CRD's pattern (SUCCESS_CONDITION_PATTERN) admits nothing else, so a small tokenizer is the
 * whole parser; anything outside it is a `SuccessConditionError`, never a guess.
 */

const COMPARATORS = {
  "<": (a: number, b: number) => a < b,
  "<=": (a: number, b: number) => a <= b,
  ">": (a: number, b: number) => a > b,
  ">=": (a: number, b: number) => a >= b,
  "==": (a: number, b: number) => a === b,
  "!=": (a: number, b: number) => a !== b,
} as const;

type Comparator = keyof typeof COMPARATORS;
type Comparison = { comparator: Comparator; bound: number };
/** Disjunction of conjunctions: `[[a, b], [c]]` is `(a && b) || c`. */
export type SuccessCondition = Comparison[][];

export class SuccessConditionError extends Error {
  readonly code = "SUCCESS_CONDITION_INVALID";
  constructor(condition: string, problem: string) {
    super(`successCondition "${condition}": ${problem}`);
    this.name = "SuccessConditionError";
  }
}

const TOKEN = /\s*(result|<=|>=|==|!=|<|>|&&|\|\||-?[0-9]+(?:\.[0-9]+)?)/y;

function tokenize(condition: string): string[] {
  const tokens: string[] = [];
  TOKEN.lastIndex = 0;
  while (TOKEN.lastIndex < condition.length) {
    const at = TOKEN.lastIndex;
    const match = TOKEN.exec(condition);
    if (!match) {
      if (condition.slice(at).trim() === "") break;
      throw new SuccessConditionError(condition, `unexpected "${condition.slice(at).trim()}"`);
    }
    tokens.push(match[1] as string);
  }
  return tokens;
}

export function parseSuccessCondition(condition: string): SuccessCondition {
  const tokens = tokenize(condition);
  if (tokens.length === 0) throw new SuccessConditionError(condition, "is empty");
  const disjunction: SuccessCondition = [[]];
  for (let index = 0; index < tokens.length; index += 4) {
    const [subject, comparator, bound, joiner] = tokens.slice(index, index + 4);
    if (subject !== "result") {
      throw new SuccessConditionError(condition, `expected "result", found ${quoted(subject)}`);
    }
    if (comparator === undefined || !(comparator in COMPARATORS)) {
      throw new SuccessConditionError(
        condition,
        `expected a comparison after "result", found ${quoted(comparator)}`,
      );
    }
    if (bound === undefined || !/^-?[0-9]/.test(bound)) {
      throw new SuccessConditionError(
        condition,
        `expected a number after "${comparator}", found ${quoted(bound)}`,
      );
    }
    (disjunction.at(-1) as Comparison[]).push({ comparator: comparator as Comparator, bound: Number(bound) });
    if (joiner === undefined) break;
    if (joiner === "||") disjunction.push([]);
    else if (joiner !== "&&") {
      throw new SuccessConditionError(condition, `expected && or ||, found ${quoted(joiner)}`);
    }
    if (index + 4 >= tokens.length) throw new SuccessConditionError(condition, `ends with "${joiner}"`);
  }
  return disjunction;
}

function quoted(token: string | undefined): string {
  return token === undefined ? "the end" : `"${token}"`;
}

/** True when `result` satisfies the condition. Throws `SuccessConditionError` on a bad condition. */
export function evaluateSuccessCondition(condition: string, result: number): boolean {
  return parseSuccessCondition(condition).some((conjunction) =>
    conjunction.every(({ comparator, bound }) => COMPARATORS[comparator](result, bound)),
  );
}
