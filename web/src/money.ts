// Money arrives as an integer of the currency's minor unit (like Stripe's
// unit_amount). How many digits the minor unit has comes from Intl, so jpy
// (none) and usd (two) need no table of our own.

const formatters = new Map<string, Intl.NumberFormat>();

function formatter(currency: string, locale?: string): Intl.NumberFormat {
  const key = `${locale ?? ''}|${currency}`;
  let nf = formatters.get(key);
  if (!nf) {
    nf = new Intl.NumberFormat(locale, { style: 'currency', currency: currency.toUpperCase() });
    formatters.set(key, nf);
  }
  return nf;
}

/** Number of decimal digits of the currency's minor unit: 2 for usd, 0 for jpy. */
export function minorUnitDigits(currency: string): number {
  try {
    return formatter(currency, 'en-US').resolvedOptions().maximumFractionDigits ?? 2;
  } catch {
    return 2;
  }
}

/** Formats minor units for display: formatMoney(1250, 'usd') → "$12.50". */
export function formatMoney(minor: number, currency: string, locale?: string): string {
  let nf: Intl.NumberFormat;
  try {
    nf = formatter(currency, locale);
  } catch {
    // An unknown currency code: still show the amount rather than crash the page.
    return `${minor} ${currency.toUpperCase()}`;
  }
  const digits = nf.resolvedOptions().maximumFractionDigits ?? 2;
  return nf.format(minor / 10 ** digits);
}

/** Formats minor units as a plain decimal for an input field: 1250 usd → "12.50". */
export function minorToInput(minor: number, currency: string): string {
  const digits = minorUnitDigits(currency);
  if (digits === 0) return String(minor);
  const sign = minor < 0 ? '-' : '';
  const s = String(Math.abs(minor)).padStart(digits + 1, '0');
  return `${sign}${s.slice(0, -digits)}.${s.slice(-digits)}`;
}

/**
 * Parses a typed price into minor units, or returns null when it is not a
 * valid amount for the currency. Accepts "12", "12.5", "12.50", "1,234.50",
 * "12,50" (a lone comma followed by at most the minor unit's digits is taken
 * as the decimal separator) and ignores spaces and a leading currency symbol.
 * Never goes through floating point, so "0.29" is 29, not 28.999….
 */
export function parseMoney(input: string, currency: string): number | null {
  const digits = minorUnitDigits(currency);
  const s = input.trim().replace(/[\s\u00a0']/g, '').replace(/^[^\d.,-]+/, '');
  if (s === '' || s.startsWith('-')) return null;

  const lastDot = s.lastIndexOf('.');
  const lastComma = s.lastIndexOf(',');
  let decimalSep: '.' | ',' | null = null;
  if (lastDot >= 0 && lastComma >= 0) {
    decimalSep = lastDot > lastComma ? '.' : ',';
  } else if (lastDot >= 0) {
    decimalSep = s.indexOf('.') === lastDot ? '.' : null;
  } else if (lastComma >= 0) {
    const fraction = s.length - lastComma - 1;
    decimalSep = s.indexOf(',') === lastComma && fraction > 0 && fraction <= Math.max(digits, 2) && fraction !== 3
      ? ','
      : null;
  }

  let whole = s;
  let fraction = '';
  if (decimalSep) {
    const at = s.lastIndexOf(decimalSep);
    whole = s.slice(0, at);
    fraction = s.slice(at + 1);
  }
  const groupSep = decimalSep === ',' ? '.' : ',';
  // Grouping separators must sit between groups of three digits.
  if (whole.includes(groupSep) || (!decimalSep && (whole.includes('.') || whole.includes(',')))) {
    if (!/^\d{1,3}([.,]\d{3})+$/.test(whole)) return null;
    whole = whole.replace(/[.,]/g, '');
  }
  if (whole === '') whole = '0';
  if (!/^\d+$/.test(whole) || !/^\d*$/.test(fraction)) return null;
  // More decimals than the currency has are only fine when they are zeros ("500.00" yen).
  if (fraction.length > digits) {
    if (!/^0*$/.test(fraction.slice(digits))) return null;
    fraction = fraction.slice(0, digits);
  }
  const minor = Number(whole + fraction.padEnd(digits, '0'));
  return Number.isSafeInteger(minor) ? minor : null;
}
