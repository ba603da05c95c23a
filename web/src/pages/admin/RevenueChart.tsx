import { useEffect, useRef } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import type { StatsDay } from '../../api';
import { formatMoney, minorUnitDigits } from '../../money';
import { legendDate, legendRevenue } from './chartLegend';

interface Props {
  days: StatsDay[];
  currency: string;
}

const HEIGHT = 260;

function toSeconds(date: string): number {
  const [y, m, d] = date.split('-').map(Number);
  return Date.UTC(y ?? 1970, (m ?? 1) - 1, d ?? 1) / 1000;
}

/** A bar chart of one currency's revenue per day, drawn on a canvas by uPlot. */
export default function RevenueChart({ days, currency }: Props) {
  const box = useRef<HTMLDivElement>(null);
  const scale = 10 ** minorUnitDigits(currency);
  const revenue = days.map((d) => d.revenue?.[currency] ?? 0);
  const total = revenue.reduce((a, b) => a + b, 0);

  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const money = (minor: number) => formatMoney(Math.round(minor), currency);
    const data: uPlot.AlignedData = [
      days.map((d) => toSeconds(d.date)),
      revenue.map((r) => r / scale),
    ];
    const opts: uPlot.Options = {
      width: Math.max(280, el.clientWidth),
      height: HEIGHT,
      tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), 'Etc/UTC'),
      cursor: { drag: { x: false, y: false } },
      // Half a day either side, so the first and last bars are drawn whole.
      scales: { x: { time: true, range: (_u, min, max) => [min - 43_200, max + 43_200] }, y: { range: (_u, _min, max) => [0, max > 0 ? max * 1.1 : 1] } },
      axes: [
        {},
        {
          size: 80,
          values: (_u, splits) => splits.map((v) => money(v * scale)),
        },
      ],
      series: [
        // Away from the cursor the legend shows the whole span and its total, not "--" and "—".
        { value: (_u, v) => legendDate(v, days.length) },
        {
          label: `Revenue (${currency.toUpperCase()})`,
          stroke: '#4338ca',
          fill: 'rgba(67, 56, 202, 0.55)',
          paths: uPlot.paths.bars?.({ size: [0.7, 40] }),
          points: { show: false },
          value: (_u, v) => legendRevenue(v == null ? null : v * scale, total, currency),
        },
      ],
    };
    const chart = new uPlot(opts, data, el);
    const resize = new ResizeObserver(() => {
      chart.setSize({ width: Math.max(280, el.clientWidth), height: HEIGHT });
    });
    resize.observe(el);
    return () => {
      resize.disconnect();
      chart.destroy();
    };
    // revenue derives from days and currency, so they are the whole dependency list.
  }, [days, currency, scale]);

  return (
    <figure className="chart">
      <div
        ref={box}
        className="chart__canvas"
        role="img"
        aria-label={`Revenue per day in ${currency.toUpperCase()} over the last ${days.length} days; ${formatMoney(total, currency)} in total.`}
      />
      <details className="chart__table">
        <summary>Show the figures</summary>
        <table className="table">
          <thead>
            <tr>
              <th scope="col">Date</th>
              <th scope="col" className="num">
                Orders
              </th>
              <th scope="col" className="num">
                Revenue
              </th>
            </tr>
          </thead>
          <tbody>
            {days.map((d, i) => (
              <tr key={d.date}>
                <td>{d.date}</td>
                <td className="num">{d.orders}</td>
                <td className="num">{formatMoney(revenue[i] ?? 0, currency)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </details>
    </figure>
  );
}
