import { useEffect, useState } from 'react';
import type { Order, RefundRequest } from '../../api';
import { ConfirmDialog } from '../../components/ConfirmDialog';
import { formatMoney, minorUnitDigits, parseMoney } from '../../money';

type Mode = 'all' | 'lines' | 'amount';

interface Props {
  order: Order;
  open: boolean;
  busy: boolean;
  onConfirm: (request: RefundRequest, mode: Mode) => void;
  onCancel: () => void;
}

/** What is left to refund of an order, in minor units. */
export function refundable(order: Order): number {
  return Math.max(0, order.amount_total - (order.amount_refunded ?? 0));
}

/**
 * Asks what to refund: everything still paid (as before), chosen units of
 * the order's lines, or an amount; and whether the units go back in stock.
 */
export function RefundDialog({ order, open, busy, onConfirm, onCancel }: Props) {
  const lines = (order.lines ?? []).filter((l) => l.quantity - (l.refunded_quantity ?? 0) > 0);
  const cur = order.currency;
  const left = refundable(order);
  const [mode, setMode] = useState<Mode>('all');
  const [units, setUnits] = useState<Record<string, string>>({});
  const [amount, setAmount] = useState('');
  const [restock, setRestock] = useState(false);
  const [error, setError] = useState<string | null>(null);

  // Each opening starts from the whole refund, as the button says.
  useEffect(() => {
    if (!open) return;
    setMode('all');
    setUnits({});
    setAmount('');
    setRestock(false);
    setError(null);
  }, [open]);

  const chosen = lines
    .map((l) => ({ line: l, n: Number(units[l.product_id] ?? '0') }))
    .filter((c) => Number.isInteger(c.n) && c.n > 0);
  const chosenWorth = chosen.reduce((sum, c) => sum + c.line.unit_amount * c.n, 0);
  const unitsLeft = (order.lines?.length ? order.lines.reduce((n, l) => n + l.quantity - (l.refunded_quantity ?? 0), 0) : order.quantity);

  function confirm() {
    setError(null);
    if (mode === 'all') {
      onConfirm(restock ? { restock: true } : {}, mode);
      return;
    }
    if (mode === 'lines') {
      for (const l of lines) {
        const raw = (units[l.product_id] ?? '').trim();
        const max = l.quantity - (l.refunded_quantity ?? 0);
        if (raw !== '' && (!/^\d+$/.test(raw) || Number(raw) > max)) {
          setError(`Refund 0 to ${max} of ${l.product_name}.`);
          return;
        }
      }
      if (chosen.length === 0) {
        setError('Choose at least one unit to refund.');
        return;
      }
      onConfirm({ lines: chosen.map((c) => ({ product_id: c.line.product_id, quantity: c.n })), restock }, mode);
      return;
    }
    const minor = parseMoney(amount, cur);
    if (minor === null || minor === 0) {
      setError(
        minorUnitDigits(cur) === 0
          ? `Enter a whole amount in ${cur.toUpperCase()}, like 500.`
          : `Enter an amount in ${cur.toUpperCase()}, like 5.00.`,
      );
      return;
    }
    if (minor > left) {
      setError(`At most ${formatMoney(left, cur)} is left to refund.`);
      return;
    }
    onConfirm({ amount: minor }, mode);
  }

  const partlyRefunded = (order.amount_refunded ?? 0) > 0;
  return (
    <ConfirmDialog
      open={open}
      title="Refund this order?"
      confirmLabel={busy ? 'Refunding…' : 'Refund'}
      danger
      busy={busy}
      onConfirm={confirm}
      onCancel={onCancel}
    >
      <fieldset className="refund-choice" disabled={busy}>
        <legend>What to refund</legend>
        <div className="field field--checkbox">
          <input id="refund-all" type="radio" name="refund-mode" checked={mode === 'all'} onChange={() => setMode('all')} />
          <label htmlFor="refund-all">
            {partlyRefunded ? 'The rest of the order' : 'The whole order'}, {formatMoney(left, cur)}
          </label>
        </div>
        {lines.length > 0 && (
          <div className="field field--checkbox">
            <input id="refund-lines" type="radio" name="refund-mode" checked={mode === 'lines'} onChange={() => setMode('lines')} />
            <label htmlFor="refund-lines">Some items</label>
          </div>
        )}
        <div className="field field--checkbox">
          <input id="refund-amount-mode" type="radio" name="refund-mode" checked={mode === 'amount'} onChange={() => setMode('amount')} />
          <label htmlFor="refund-amount-mode">An amount</label>
        </div>
      </fieldset>

      {mode === 'lines' && (
        <div className="refund-lines">
          {lines.map((l) => {
            const max = l.quantity - (l.refunded_quantity ?? 0);
            const id = `refund-units-${l.product_id}`;
            return (
              <div className="field refund-line" key={l.product_id}>
                <label htmlFor={id}>
                  {l.product_name} <span className="muted">({formatMoney(l.unit_amount, cur)} each, {max} not refunded)</span>
                </label>
                <input
                  id={id}
                  type="number"
                  inputMode="numeric"
                  min={0}
                  max={max}
                  step={1}
                  value={units[l.product_id] ?? ''}
                  placeholder="0"
                  onChange={(e) => setUnits((u) => ({ ...u, [l.product_id]: e.target.value }))}
                  disabled={busy}
                />
              </div>
            );
          })}
          <p className="muted">
            {chosen.length > 0
              ? `${formatMoney(chosenWorth, cur)} at the prices sold; the shop works out the refund from the lines.`
              : 'Choose how many units of each item to refund.'}
          </p>
        </div>
      )}

      {mode === 'amount' && (
        <div className="field">
          <label htmlFor="refund-amount">Amount ({cur.toUpperCase()})</label>
          <input
            id="refund-amount"
            type="text"
            inputMode="decimal"
            autoComplete="off"
            value={amount}
            onChange={(e) => setAmount(e.target.value)}
            disabled={busy}
            aria-describedby="refund-amount-hint"
          />
          <p className="field__hint" id="refund-amount-hint">
            Up to {formatMoney(left, cur)}. No units go back in stock.
          </p>
        </div>
      )}

      {error && (
        <p className="field__error" role="alert">
          {error}
        </p>
      )}

      <p>
        The money goes back to {order.customer_email || 'the customer'}. This cannot be undone.
      </p>
      {mode !== 'amount' && (
        <div className="field field--checkbox">
          <input
            id="refund-restock"
            type="checkbox"
            checked={restock}
            onChange={(e) => setRestock(e.target.checked)}
            disabled={busy}
          />
          <label htmlFor="refund-restock">
            {mode === 'lines'
              ? 'Put the refunded units back in stock'
              : `Put the ${unitsLeft === 1 ? 'unit' : `${unitsLeft} units`} back in stock`}
          </label>
        </div>
      )}
    </ConfirmDialog>
  );
}
