/**
 * Kubernetes resource quantities ("250m", "1Gi", 1073741824, "1e3") as exact fractions, so a
 * declared value and the API server's canonical spelling of it compare equal ("1000m" is "1",
 * 1073741824 is "1Gi"). client-node's quantityToScalar is not exported from its package index and
 * rejects decimal binary quantities such as "1.5Gi", which the API server accepts.
 */
const QUANTITY = /^([+-]?)(\d+(?:\.\d*)?|\.\d+)(?:([eE][+-]?\d+)|(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE]))?$/;

const DECIMAL_EXPONENTS: Record<string, number> = {
  n: -9,
  u: -6,
  m: -3,
  k: 3,
  M: 6,
  G: 9,
  T: 12,
  P: 15,
  E: 18,
};
const BINARY_EXPONENTS: Record<string, number> = { Ki: 10, Mi: 20, Gi: 30, Ti: 40, Pi: 50, Ei: 60 };

interface Fraction {
  numerator: bigint;
  denominator: bigint;
}

/** The exact value of a quantity, or undefined when it is not one. */
export function parseQuantity(value: string | number): Fraction | undefined {
  const text = typeof value === "number" ? String(value) : value.trim();
  const match = QUANTITY.exec(text);
  if (!match) return undefined;
  const [, sign = "", mantissa = "", exponent, suffix] = match;
  const [whole = "", fraction = ""] = mantissa.split(".");
  let numerator = BigInt(`${sign}${whole || "0"}${fraction}`);
  let denominator = 10n ** BigInt(fraction.length);
  const power10 = exponent ? Number(exponent.slice(1)) : (DECIMAL_EXPONENTS[suffix ?? ""] ?? 0);
  if (power10 >= 0) numerator *= 10n ** BigInt(power10);
  else denominator *= 10n ** BigInt(-power10);
  numerator *= 2n ** BigInt(BINARY_EXPONENTS[suffix ?? ""] ?? 0);
  return { numerator, denominator };
}

/** True when both are quantities of the same value. */
export function sameQuantity(a: string | number, b: string | number): boolean {
  const left = parseQuantity(a);
  const right = parseQuantity(b);
  return (
    left !== undefined &&
    right !== undefined &&
    left.numerator * right.denominator === right.numerator * left.denominator
  );
}
