/** How an order is named to people: "#1001". */
export function formatOrderNumber(n: number): string {
  return `#${n}`;
}

/** The order number someone typed ("1001", "#1001", " # 1001 "), or null when it is not one. */
export function parseOrderNumber(text: string): number | null {
  const digits = text.trim().replace(/^#\s*/, '');
  if (!/^[0-9]{1,15}$/.test(digits)) return null;
  const n = Number(digits);
  return n >= 1 ? n : null;
}
