import { formatMoney } from '../../money';

/** The legend's date: the hovered day's, or the span's away from the cursor (uPlot's "--"). */
export function legendDate(seconds: number | null, days: number): string {
  return seconds == null ? `Last ${days} days` : new Date(seconds * 1000).toISOString().slice(0, 10);
}

/** The legend's revenue: the hovered day's, or the total away from the cursor (uPlot's "—"). */
export function legendRevenue(minor: number | null, total: number, currency: string): string {
  return minor == null ? `${formatMoney(total, currency)} in total` : formatMoney(Math.round(minor), currency);
}
