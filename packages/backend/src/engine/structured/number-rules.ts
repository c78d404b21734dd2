// Which texts a number slot may hold as it fills left to right: whole JSON numbers within the schema's
// bounds, with at most `decimals` fraction digits (0 for integers), and the prefixes that can still
// become one in the positions left.

export interface NumberRange {
  min: number;
  max: number;
  minExclusive: boolean;
  maxExclusive: boolean;
  /** Fraction digits allowed: 0 for an integer. */
  decimals: number;
}

/** Integer digits kept within doubles' exact range. */
export const SAFE_DIGITS = 15;

const WHOLE = /^(-?)(0|[1-9][0-9]*)(?:\.([0-9]+))?$/;
const PREFIX = /^(-?)([0-9]*)(\.?)([0-9]*)$/;

function inRange(value: number, range: NumberRange): boolean {
  const above = range.minExclusive ? value > range.min : value >= range.min;
  const below = range.maxExclusive ? value < range.max : value <= range.max;
  return above && below;
}

/** `text` is a whole JSON number of the range (never "-0"). */
export function completeNumber(text: string, range: NumberRange): boolean {
  const match = WHOLE.exec(text);
  if (!match || (match[2] as string).length > SAFE_DIGITS) return false;
  const fraction = match[3] ?? "";
  if (fraction.length > range.decimals) return false;
  const value = Number(text);
  if (value === 0 && match[1] === "-") return false;
  return inRange(value, range);
}

/**
 * `text` can still become a whole number of the range with `remaining` more positions, each writing at
 * least one character (the vocabulary's single characters make any shorter completion reachable).
 */
export function feasibleNumber(text: string, remaining: number, range: NumberRange): boolean {
  const match = PREFIX.exec(text);
  if (!match) return false;
  const [, sign, digits = "", dot, fraction = ""] = match;
  if (sign && range.min >= 0) return false;
  if (dot && (range.decimals === 0 || digits === "")) return false;
  if (fraction.length > range.decimals || digits.length > SAFE_DIGITS) return false;
  if (digits.length > 1 && digits[0] === "0") return false; // a leading zero
  if (completeNumber(text, range)) return true;
  if (remaining <= 0) return false;
  // Whether some value of [low, high] (magnitudes, both ends reachable) lies in the range.
  const reachable = (low: number, high: number) => {
    // A negative number is below zero by at least one step of its last digit: "-0" is not one.
    if (sign) low = Math.max(low, 10 ** -range.decimals);
    if (low > high) return false;
    const [from, to] = sign ? [-high, -low] : [low, high];
    const belowMax = range.maxExclusive ? from < range.max : from <= range.max;
    const aboveMin = range.minExclusive ? to > range.min : to >= range.min;
    return belowMax && aboveMin;
  };
  if (dot) {
    // More fraction digits move the value within [x, x + 10^-f − 10^-decimals].
    if (fraction.length >= range.decimals) return false;
    const base = Number(`${digits}.${fraction || "0"}`);
    return reachable(base, base + 10 ** -fraction.length - 10 ** -range.decimals);
  }
  // More integer digits (none after a lone zero), then perhaps a fraction.
  const fractionSpan = range.decimals > 0 ? 1 - 10 ** -range.decimals : 0;
  const most = digits === "0" ? 0 : Math.min(SAFE_DIGITS - digits.length, remaining);
  for (let more = 0; more <= most; more++) {
    const needed = more + (range.decimals > 0 && more === 0 ? 2 : 0);
    if (needed === 0 || needed > remaining) continue;
    const scale = 10 ** more;
    const low = digits ? Number(digits) * scale : more === 1 ? 0 : 10 ** (more - 1);
    const high = digits ? Number(digits) * scale + scale - 1 : scale - 1;
    if (reachable(low, high + fractionSpan)) return true;
  }
  return false;
}
