/**
 * Formats a number the way LuaJIT writes one into a string buffer (`%.14g`), which is how Kong's
 * config hash sees every number.
 */
export function luaNumber(n: number): string {
  if (Number.isNaN(n)) return "nan";
  if (n === Number.POSITIVE_INFINITY) return "inf";
  if (n === Number.NEGATIVE_INFINITY) return "-inf";
  if (Number.isInteger(n) && Math.abs(n) < 1e14) return Object.is(n, -0) ? "-0" : String(n);
  const [mantissa = "0", exponentText = "0"] = roundedExponential(n).split("e");
  const exponent = Number(exponentText);
  if (exponent < -4 || exponent >= 14) {
    const sign = exponent < 0 ? "-" : "+";
    const digits = String(Math.abs(exponent)).padStart(2, "0");
    return `${stripZeros(mantissa)}e${sign}${digits}`;
  }
  return stripZeros(n.toFixed(13 - exponent));
}

function stripZeros(fixed: string): string {
  if (!fixed.includes(".")) return fixed;
  return fixed.replace(/0+$/, "").replace(/\.$/, "");
}

/**
 * `toExponential(13)` rounds exact ties away from zero; C's printf rounds them to even. A tie is
 * seen in the exact expansion (100 digits cover it for every double that can have one here).
 */
function roundedExponential(n: number): string {
  const up = n.toExponential(13);
  const [exact = "", exp = ""] = n.toExponential(99).split("e");
  const digits = exact.replace("-", "").replace(".", "");
  const tie = digits[14] === "5" && /^0*$/.test(digits.slice(15));
  if (!tie || Number(digits[13]) % 2 === 1) return up;
  const sign = n < 0 ? "-" : "";
  return `${sign}${digits[0]}.${digits.slice(1, 14)}e${exp}`;
}
