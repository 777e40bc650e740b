// Human-readable cells: numbers, counts, durations and times.

const LOCALE = "en-US"; // fixed so output (and tests) don't depend on the browser's locale

export function formatCount(n: number): string {
  return n.toLocaleString(LOCALE);
}

/** A metric or param value: 4 significant digits, exponent for very large or tiny values. */
export function formatNumber(value: number | null | undefined): string {
  if (value === null || value === undefined) return "";
  if (Number.isNaN(value)) return "NaN";
  if (!Number.isFinite(value)) return value > 0 ? "∞" : "-∞";
  const abs = Math.abs(value);
  if (Number.isInteger(value) && abs < 1e15) return value.toLocaleString(LOCALE);
  if (abs !== 0 && (abs < 1e-3 || abs >= 1e6)) return trimExponent(value.toExponential(3));
  if (abs >= 1000) return value.toLocaleString(LOCALE, { maximumFractionDigits: 1 });
  return String(Number(value.toPrecision(4)));
}

function trimExponent(text: string): string {
  // "1.200e-5" -> "1.2e-5"
  return text.replace(/\.?0+e/, "e").replace("e+", "e");
}

/** Seconds as "850ms", "4.2s", "1m 05s", "2h 03m", "3d 04h". */
export function formatDuration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return "";
  const sign = seconds < 0 ? "-" : "";
  let s = Math.abs(seconds);
  if (s < 1) return `${sign}${Math.round(s * 1000)}ms`;
  if (s < 10) return `${sign}${(Math.round(s * 10) / 10).toFixed(1)}s`;
  s = Math.round(s);
  const pad = (n: number) => String(n).padStart(2, "0");
  if (s < 60) return `${sign}${s}s`;
  if (s < 3600) return `${sign}${Math.floor(s / 60)}m ${pad(s % 60)}s`;
  if (s < 86400) return `${sign}${Math.floor(s / 3600)}h ${pad(Math.floor((s % 3600) / 60))}m`;
  return `${sign}${Math.floor(s / 86400)}d ${pad(Math.floor((s % 86400) / 3600))}h`;
}

/** Local wall-clock time, "2024-05-01 13:45:07". */
export function formatAbsoluteTime(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return "";
  const d = new Date(ms);
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

/** "just now", "5 min ago", "3 h ago", "2 d ago"; older than 30 days: the date. */
export function formatRelativeTime(ms: number | null | undefined, now: number = Date.now()): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return "";
  const seconds = (now - ms) / 1000;
  if (seconds < 0) return formatAbsoluteTime(ms); // clock skew: don't say "in 3 min"
  if (seconds < 45) return "just now";
  if (seconds < 3600) return `${Math.max(1, Math.round(seconds / 60))} min ago`;
  if (seconds < 86400) return `${Math.round(seconds / 3600)} h ago`;
  if (seconds < 30 * 86400) return `${Math.round(seconds / 86400)} d ago`;
  return formatAbsoluteTime(ms).slice(0, 10);
}

/**
 * A param as text, float32 values in their shortest form: Keras logs a float32 learning rate
 * 0.001 as "0.0010000000474974513" (the float64 printout of the nearest float32); that shows as
 * "0.001", the shortest decimal that reads back as the same float32. Other text is unchanged.
 */
export function formatParam(text: string | null | undefined): string {
  if (text === null || text === undefined) return "";
  const s = String(text).trim();
  // Only long printouts with a fraction or exponent: short ones ("0.1") are as short as they
  // get, and an integer ("1073741824000") must keep its digits.
  if (s.length < 10 || !/^[-+]?(\d+\.\d*|\.\d+|\d+(?=[eE]))([eE][-+]?\d+)?$/.test(s)) return String(text);
  const x = Number(s);
  if (!Number.isFinite(x) || x === 0 || Math.fround(x) !== x) return String(text);
  for (let p = 1; p <= 9; p++) {
    const short = x.toPrecision(p);
    if (Math.fround(Number.parseFloat(short)) === x) return String(Number(short));
  }
  return String(text);
}
