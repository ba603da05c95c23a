import { useEffect, useRef, useState, type FormEvent } from 'react';
import { ApiError, type Product, type ProductInput } from '../../api';
import { Field, fieldMessage, focusFirstInvalid } from '../../components/Field';
import { displayableImage } from '../../components/ProductImage';
import { describeError } from '../../errors';
import { formatMoney, minorToInput, minorUnitDigits, parseMoney } from '../../money';

/** The server's largest unit_amount (shop.MaxUnitAmount), in minor units. */
const MAX_UNIT_AMOUNT = 99_999_999;

function priceTooHigh(currency: string): string {
  return `Price must be at most ${formatMoney(MAX_UNIT_AMOUNT, currency)}.`;
}

/** The server's supported list (shop.Currencies), most used first. */
export const CURRENCIES = ['usd', 'eur', 'gbp', 'jpy', 'aud', 'cad', 'chf', 'dkk', 'nok', 'nzd', 'sek', 'sgd'];

/** Form field ids; the server names its fields by JSON key, mapped here. */
type FieldName = 'name' | 'description' | 'price' | 'currency' | 'image_url' | 'stock' | 'max_per_order' | 'tax_code' | 'active';

const fieldForKey: Record<string, FieldName> = {
  name: 'name',
  description: 'description',
  unit_amount: 'price',
  currency: 'currency',
  image_url: 'image_url',
  stock: 'stock',
  max_per_order: 'max_per_order',
  tax_code: 'tax_code',
  active: 'active',
};

const labels: Record<FieldName, string> = {
  name: 'Name',
  description: 'Description',
  price: 'Price',
  currency: 'Currency',
  image_url: 'Image URL',
  stock: 'Stock',
  max_per_order: 'Most per order',
  tax_code: 'Tax code',
  active: 'Active',
};

type Errors = Partial<Record<FieldName, string>>;

interface Values {
  name: string;
  description: string;
  price: string;
  currency: string;
  image_url: string;
  stock: string;
  max_per_order: string;
  tax_code: string;
  active: boolean;
}

function initialValues(p?: Product): Values {
  return {
    name: p?.name ?? '',
    description: p?.description ?? '',
    price: p ? minorToInput(p.unit_amount, p.currency) : '',
    currency: p?.currency ?? 'usd',
    image_url: p?.image_url ?? '',
    stock: p?.stock == null ? '' : String(p.stock),
    max_per_order: p?.max_per_order == null ? '' : String(p.max_per_order),
    tax_code: p?.tax_code ?? '',
    active: p?.active ?? true,
  };
}

interface Props {
  product?: Product;
  /** Saves the product; the form shows the ApiError's fields beside the fields. */
  onSave: (input: ProductInput | Partial<ProductInput>) => Promise<Product>;
  onSaved: (product: Product) => void;
  onCancel?: () => void;
}

export function ProductForm({ product, onSave, onSaved, onCancel }: Props) {
  const [values, setValues] = useState<Values>(() => initialValues(product));
  const [errors, setErrors] = useState<Errors>({});
  const [otherErrors, setOtherErrors] = useState<string[]>([]);
  const [formError, setFormError] = useState<string | null>(null);
  const [pending, setPending] = useState(false);
  const [preview, setPreview] = useState(() => values.image_url);
  const [previewFailed, setPreviewFailed] = useState(false);
  const [focusTick, setFocusTick] = useState(0);
  const formRef = useRef<HTMLFormElement>(null);
  const summaryRef = useRef<HTMLDivElement>(null);
  const editing = product !== undefined;

  useEffect(() => {
    if (focusTick > 0) focusFirstInvalid(formRef.current, summaryRef.current);
  }, [focusTick]);

  function set<K extends keyof Values>(key: K, value: Values[K]) {
    setValues((v) => ({ ...v, [key]: value }));
  }

  function validate(): { input: ProductInput | null; errors: Errors } {
    const found: Errors = {};
    const name = values.name.trim();
    if (!name) found.name = 'Enter a name.';
    else if (name.length > 200) found.name = 'Use at most 200 characters.';
    if (values.description.length > 5000) found.description = 'Use at most 5000 characters.';
    const unitAmount = parseMoney(values.price, values.currency);
    if (values.price.trim() === '') found.price = 'Enter a price.';
    else if (unitAmount === null) {
      found.price =
        minorUnitDigits(values.currency) === 0
          ? `Enter a whole amount in ${values.currency.toUpperCase()}, like 1200.`
          : `Enter an amount in ${values.currency.toUpperCase()}, like 12.50.`;
    } else if (unitAmount === 0) found.price = 'Price must be more than zero.';
    else if (unitAmount > MAX_UNIT_AMOUNT) found.price = priceTooHigh(values.currency);
    const imageUrl = values.image_url.trim();
    if (imageUrl && !/^https:\/\/[^\s/]\S*$/i.test(imageUrl)) {
      found.image_url = 'Enter a full https:// address, or leave it blank.';
    }
    let stock: number | null = null;
    if (values.stock.trim() !== '') {
      stock = Number(values.stock);
      if (!/^\d+$/.test(values.stock.trim()) || stock > 1_000_000) {
        found.stock = 'Enter a whole number from 0 to 1,000,000, or leave it blank for unlimited.';
      }
    }
    let maxPerOrder: number | null = null;
    if (values.max_per_order.trim() !== '') {
      maxPerOrder = Number(values.max_per_order);
      if (!/^\d+$/.test(values.max_per_order.trim()) || maxPerOrder < 1 || maxPerOrder > 100) {
        found.max_per_order = 'Enter a whole number from 1 to 100, or leave it blank for no limit of its own.';
      }
    }
    const taxCode = values.tax_code.trim();
    if (taxCode && !/^txcd_\d{8}$/.test(taxCode)) {
      found.tax_code = 'Enter a Stripe tax code, txcd_ and 8 digits (like txcd_99999999), or leave it blank.';
    }
    if (Object.keys(found).length > 0) return { input: null, errors: found };
    return {
      input: {
        name,
        description: values.description,
        unit_amount: unitAmount as number,
        currency: values.currency,
        image_url: imageUrl,
        stock,
        max_per_order: maxPerOrder,
        tax_code: taxCode,
        active: values.active,
      },
      errors: found,
    };
  }

  async function onSubmit(e: FormEvent) {
    e.preventDefault();
    if (pending) return;
    setFormError(null);
    setOtherErrors([]);
    const { input, errors: found } = validate();
    setErrors(found);
    if (!input) {
      setFocusTick((t) => t + 1);
      return;
    }
    let body: ProductInput | Partial<ProductInput> = input;
    if (product) {
      // Send only what changed, so a stock figure edited elsewhere is not overwritten.
      const patch: Partial<ProductInput> = {};
      for (const key of Object.keys(input) as (keyof ProductInput)[]) {
        if (input[key] !== (product[key] ?? null)) (patch as Record<string, unknown>)[key] = input[key];
      }
      body = patch;
    }
    setPending(true);
    try {
      const saved = await onSave(body);
      onSaved(saved);
    } catch (err) {
      setPending(false);
      if (err instanceof ApiError && Object.keys(err.fields).length > 0) {
        const mapped: Errors = {};
        const other: string[] = [];
        for (const [key, message] of Object.entries(err.fields)) {
          const field = fieldForKey[key];
          if (field === 'price' && /^must be between 1 and \d+$/.test(message)) {
            // The server's bounds are in minor units; say them in money (a
            // price under the minimum never leaves validate()).
            mapped.price = priceTooHigh(input.currency);
          } else if (field) mapped[field] = fieldMessage(labels[field], message);
          else other.push(`${key}: ${message}`);
        }
        setErrors(mapped);
        setOtherErrors(other);
        setFormError(other.length > 0 ? err.message : null);
      } else {
        setFormError(describeError(err));
      }
      setFocusTick((t) => t + 1);
      return;
    }
  }

  const errorList = Object.entries(errors) as [FieldName, string][];
  const previewUrl = displayableImage(preview.trim());
  const currencies = CURRENCIES.includes(values.currency) ? CURRENCIES : [values.currency, ...CURRENCIES];
  const example = minorUnitDigits(values.currency) === 0 ? '1200' : '12.50';

  return (
    <form ref={formRef} className="product-form card" onSubmit={onSubmit} noValidate>
      {(errorList.length > 0 || formError || otherErrors.length > 0) && (
        <div className="alert alert--error error-summary" role="alert" tabIndex={-1} ref={summaryRef}>
          <p className="alert__title">
            {errorList.length > 0
              ? `Please fix ${errorList.length === 1 ? 'this problem' : `these ${errorList.length} problems`}:`
              : 'The product was not saved.'}
          </p>
          {formError && <p>{formError}</p>}
          <ul>
            {errorList.map(([field, message]) => (
              <li key={field}>
                <a
                  href={`#${field}`}
                  onClick={(e) => {
                    e.preventDefault();
                    document.getElementById(field)?.focus();
                  }}
                >
                  {message}
                </a>
              </li>
            ))}
            {otherErrors.map((m) => (
              <li key={m}>{m}</li>
            ))}
          </ul>
        </div>
      )}

      <Field id="name" label="Name" error={errors.name}>
        {(c) => (
          <input {...c} type="text" maxLength={200} value={values.name} onChange={(e) => set('name', e.target.value)} />
        )}
      </Field>

      <Field id="description" label="Description" error={errors.description} hint="Plain text, up to 5000 characters.">
        {(c) => (
          <textarea {...c} rows={4} value={values.description} onChange={(e) => set('description', e.target.value)} />
        )}
      </Field>

      <div className="field-row">
        <Field id="price" label="Price" error={errors.price} hint={`For example ${example}`}>
          {(c) => (
            <input
              {...c}
              type="text"
              inputMode="decimal"
              autoComplete="off"
              value={values.price}
              onChange={(e) => set('price', e.target.value)}
            />
          )}
        </Field>
        <Field id="currency" label="Currency" error={errors.currency}>
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
        <Field id="stock" label="Stock" error={errors.stock} hint="Leave blank for unlimited.">
          {(c) => (
            <input
              {...c}
              type="number"
              inputMode="numeric"
              min={0}
              max={1000000}
              step={1}
              value={values.stock}
              onChange={(e) => set('stock', e.target.value)}
            />
          )}
        </Field>
        <Field
          id="max_per_order"
          label="Most per order"
          error={errors.max_per_order}
          hint="Units one order may hold. Leave blank for up to 100."
        >
          {(c) => (
            <input
              {...c}
              type="number"
              inputMode="numeric"
              min={1}
              max={100}
              step={1}
              value={values.max_per_order}
              onChange={(e) => set('max_per_order', e.target.value)}
            />
          )}
        </Field>
      </div>

      <Field
        id="image_url"
        label="Image URL"
        error={errors.image_url}
        hint="An https:// address of a picture kept elsewhere, shown while the product has no uploaded picture; or blank."
      >
        {(c) => (
          <input
            {...c}
            type="url"
            inputMode="url"
            value={values.image_url}
            onChange={(e) => set('image_url', e.target.value)}
            onBlur={() => {
              setPreview(values.image_url);
              setPreviewFailed(false);
            }}
          />
        )}
      </Field>
      <div className="image-preview" aria-live="polite">
        {previewUrl && !previewFailed && (
          <img src={previewUrl} alt="Preview of the product image" onError={() => setPreviewFailed(true)} />
        )}
        {previewUrl && previewFailed && <p className="muted">The image could not be loaded from that address.</p>}
        {!previewUrl && preview.trim() !== '' && (
          <p className="muted">No preview: only https:// images are shown in the shop.</p>
        )}
        {preview.trim() === '' && <p className="muted">No image</p>}
      </div>

      <Field
        id="tax_code"
        label="Tax code"
        error={errors.tax_code}
        hint="Stripe's tax code for automatic tax, like txcd_99999999 (general tangible goods); blank uses the account's default."
      >
        {(c) => (
          <input
            {...c}
            type="text"
            autoComplete="off"
            spellCheck={false}
            value={values.tax_code}
            onChange={(e) => set('tax_code', e.target.value)}
          />
        )}
      </Field>

      <div className={`field field--checkbox${errors.active ? ' field--invalid' : ''}`}>
        <input
          id="active"
          name="active"
          type="checkbox"
          checked={values.active}
          onChange={(e) => set('active', e.target.checked)}
          aria-invalid={errors.active ? true : undefined}
          aria-describedby={errors.active ? 'active-error' : undefined}
        />
        <label htmlFor="active">Active (shown in the shop)</label>
        {errors.active && (
          <p className="field__error" id="active-error">
            {errors.active}
          </p>
        )}
      </div>

      <div className="form-actions">
        <button type="submit" className="button button--primary" disabled={pending}>
          {pending ? 'Saving…' : editing ? 'Save changes' : 'Create product'}
        </button>
        {onCancel && (
          <button type="button" className="button" onClick={onCancel} disabled={pending}>
            Cancel
          </button>
        )}
      </div>
    </form>
  );
}
