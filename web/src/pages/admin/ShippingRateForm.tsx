import { useEffect, useRef, useState, type FormEvent } from 'react';
import { ApiError, type ShippingRate, type ShippingRateInput } from '../../api';
import { Field, fieldMessage, focusFirstInvalid } from '../../components/Field';
import { describeError } from '../../errors';
import { formatMoney, minorToInput, minorUnitDigits, parseMoney } from '../../money';
import { CURRENCIES } from './ProductForm';

/** Stripe's largest amount, as for a product's price. */
const MAX_AMOUNT = 99_999_999;

type FieldName = 'name' | 'amount' | 'currency' | 'min_days' | 'max_days';
type Errors = Partial<Record<FieldName, string>>;

const labels: Record<FieldName, string> = {
  name: 'Name',
  amount: 'Amount',
  currency: 'Currency',
  min_days: 'Delivery from (days)',
  max_days: 'Delivery to (days)',
};

interface Values {
  name: string;
  amount: string;
  currency: string;
  min_days: string;
  max_days: string;
  active: boolean;
}

function initialValues(r?: ShippingRate): Values {
  return {
    name: r?.name ?? '',
    amount: r ? minorToInput(r.amount, r.currency) : '',
    currency: r?.currency ?? 'usd',
    min_days: r?.min_days == null ? '' : String(r.min_days),
    max_days: r?.max_days == null ? '' : String(r.max_days),
    active: r?.active ?? true,
  };
}

function days(value: string): number | null | undefined {
  const t = value.trim();
  if (t === '') return null;
  return /^\d+$/.test(t) && Number(t) >= 1 && Number(t) <= 365 ? Number(t) : undefined;
}

interface Props {
  rate?: ShippingRate;
  onSave: (input: ShippingRateInput | Partial<ShippingRateInput>) => Promise<ShippingRate>;
  onSaved: (rate: ShippingRate) => void;
  onCancel: () => void;
}

/** Creates or edits a shipping rate; the amount is typed as money, like a product's price. */
export function ShippingRateForm({ rate, onSave, onSaved, onCancel }: Props) {
  const [values, setValues] = useState<Values>(() => initialValues(rate));
  const [errors, setErrors] = useState<Errors>({});
  const [formError, setFormError] = useState<string | null>(null);
  const [pending, setPending] = useState(false);
  const [focusTick, setFocusTick] = useState(0);
  const formRef = useRef<HTMLFormElement>(null);
  const summaryRef = useRef<HTMLDivElement>(null);

  useEffect(() => {
    if (focusTick > 0) focusFirstInvalid(formRef.current, summaryRef.current);
  }, [focusTick]);

  function set<K extends keyof Values>(key: K, value: Values[K]) {
    setValues((v) => ({ ...v, [key]: value }));
  }

  function validate(): { input: ShippingRateInput | null; errors: Errors } {
    const found: Errors = {};
    const name = values.name.trim();
    if (!name) found.name = 'Enter a name, like “Standard”.';
    else if (name.length > 100) found.name = 'Use at most 100 characters.';
    const amount = parseMoney(values.amount, values.currency);
    if (values.amount.trim() === '') found.amount = 'Enter an amount (0 for free shipping).';
    else if (amount === null) {
      found.amount =
        minorUnitDigits(values.currency) === 0
          ? `Enter a whole amount in ${values.currency.toUpperCase()}, like 500.`
          : `Enter an amount in ${values.currency.toUpperCase()}, like 4.99.`;
    } else if (amount > MAX_AMOUNT) found.amount = `Amount must be at most ${formatMoney(MAX_AMOUNT, values.currency)}.`;
    const min = days(values.min_days);
    const max = days(values.max_days);
    if (min === undefined) found.min_days = 'Enter a whole number of days from 1 to 365, or leave it blank.';
    if (max === undefined) found.max_days = 'Enter a whole number of days from 1 to 365, or leave it blank.';
    else if (min != null && max != null && max < min) found.max_days = 'Must be at least the “from” days.';
    if (Object.keys(found).length > 0) return { input: null, errors: found };
    return {
      input: {
        name,
        amount: amount as number,
        currency: values.currency,
        min_days: min ?? null,
        max_days: max ?? null,
        active: values.active,
      },
      errors: found,
    };
  }

  async function onSubmit(e: FormEvent) {
    e.preventDefault();
    if (pending) return;
    setFormError(null);
    const { input, errors: found } = validate();
    setErrors(found);
    if (!input) {
      setFocusTick((t) => t + 1);
      return;
    }
    let body: ShippingRateInput | Partial<ShippingRateInput> = input;
    if (rate) {
      const patch: Partial<ShippingRateInput> = {};
      for (const key of Object.keys(input) as (keyof ShippingRateInput)[]) {
        if (input[key] !== rate[key]) (patch as Record<string, unknown>)[key] = input[key];
      }
      body = patch;
    }
    setPending(true);
    try {
      onSaved(await onSave(body));
    } catch (err) {
      setPending(false);
      if (err instanceof ApiError && Object.keys(err.fields).length > 0) {
        const mapped: Errors = {};
        const other: string[] = [];
        for (const [key, message] of Object.entries(err.fields)) {
          if (key in labels) mapped[key as FieldName] = fieldMessage(labels[key as FieldName], message);
          else other.push(`${key}: ${message}`);
        }
        setErrors(mapped);
        setFormError(other.length > 0 ? other.join('; ') : null);
      } else {
        setFormError(describeError(err));
      }
      setFocusTick((t) => t + 1);
    }
  }

  const errorCount = Object.keys(errors).length;
  const currencies = CURRENCIES.includes(values.currency) ? CURRENCIES : [values.currency, ...CURRENCIES];
  const prefix = rate ? 'rate-edit' : 'rate-new';
  return (
    <form ref={formRef} className="card rate-form" onSubmit={onSubmit} noValidate aria-labelledby={`${prefix}-heading`}>
      <h2 id={`${prefix}-heading`}>{rate ? `Edit “${rate.name}”` : 'New shipping rate'}</h2>
      {(errorCount > 0 || formError) && (
        <div className="alert alert--error" role="alert" tabIndex={-1} ref={summaryRef}>
          <p className="alert__title">
            {errorCount > 0 ? 'Please fix the fields marked below.' : 'The shipping rate was not saved.'}
          </p>
          {formError && <p>{formError}</p>}
        </div>
      )}
      <Field id={`${prefix}-name`} label="Name" error={errors.name} hint="What the customer sees at checkout.">
        {(c) => <input {...c} type="text" maxLength={100} value={values.name} onChange={(e) => set('name', e.target.value)} />}
      </Field>
      <div className="field-row">
        <Field id={`${prefix}-amount`} label="Amount" error={errors.amount} hint="0 for free shipping.">
          {(c) => (
            <input
              {...c}
              type="text"
              inputMode="decimal"
              autoComplete="off"
              value={values.amount}
              onChange={(e) => set('amount', e.target.value)}
            />
          )}
        </Field>
        <Field id={`${prefix}-currency`} label="Currency" error={errors.currency}>
          {(c) => (
            <select {...c} value={values.currency} onChange={(e) => set('currency', e.target.value)}>
              {currencies.map((cur) => (
                <option key={cur} value={cur}>
                  {cur.toUpperCase()}
                </option>
              ))}
            </select>
          )}
        </Field>
      </div>
      <div className="field-row field-row--pair">
        <Field id={`${prefix}-min`} label={labels.min_days} error={errors.min_days} hint="Business days; optional.">
          {(c) => (
            <input {...c} type="number" inputMode="numeric" min={1} max={365} step={1} value={values.min_days} onChange={(e) => set('min_days', e.target.value)} />
          )}
        </Field>
        <Field id={`${prefix}-max`} label={labels.max_days} error={errors.max_days}>
          {(c) => (
            <input {...c} type="number" inputMode="numeric" min={1} max={365} step={1} value={values.max_days} onChange={(e) => set('max_days', e.target.value)} />
          )}
        </Field>
      </div>
      <div className="field field--checkbox">
        <input id={`${prefix}-active`} type="checkbox" checked={values.active} onChange={(e) => set('active', e.target.checked)} />
        <label htmlFor={`${prefix}-active`}>Active (offered at checkout)</label>
      </div>
      <div className="form-actions">
        <button type="submit" className="button button--primary" disabled={pending}>
          {pending ? 'Saving…' : rate ? 'Save changes' : 'Create shipping rate'}
        </button>
        <button type="button" className="button" onClick={onCancel} disabled={pending}>
          Cancel
        </button>
      </div>
    </form>
  );
}
