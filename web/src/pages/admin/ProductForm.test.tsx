import { render, screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';
import { adminCreateProduct, adminUpdateProduct, ApiError, setCsrfToken, type Product } from '../../api';
import { stubFetch } from '../../test/fetch';
import { ProductForm } from './ProductForm';

const saved: Product = {
  id: 'p1',
  name: 'Mug',
  description: 'Holds coffee',
  unit_amount: 1250,
  currency: 'usd',
  image_url: 'https://img.example.com/mug.png',
  stock: 2,
  max_per_order: null,
  tax_code: '',
  active: true,
  created_at: '2026-01-01T00:00:00Z',
  updated_at: '2026-01-01T00:00:00Z',
  images: [],
};

/**
 * A new product form whose server refuses the product for field, with a
 * name and a price already typed.
 */
async function createRefused(field: string, message: string) {
  setCsrfToken('tok');
  const fetch = stubFetch({
    'POST /api/admin/products': {
      status: 400,
      body: { error: { code: 'invalid', message: `${field} ${message}`, fields: { [field]: message } } },
    },
  });
  const user = userEvent.setup();
  render(<ProductForm onSave={(input) => adminCreateProduct(input as never)} onSaved={vi.fn()} />);
  await user.type(screen.getByLabelText('Name'), 'Mug');
  await user.type(screen.getByLabelText('Price'), '5');
  return { fetch, user };
}

describe('ProductForm', () => {
  it('creates a product with the price in minor units and blank stock as unlimited', async () => {
    const onSave = vi.fn(async () => saved);
    const onSaved = vi.fn();
    const user = userEvent.setup();
    render(<ProductForm onSave={onSave} onSaved={onSaved} />);

    await user.type(screen.getByLabelText('Name'), 'Mug');
    await user.type(screen.getByLabelText('Description'), 'Holds coffee');
    await user.type(screen.getByLabelText('Price'), '12.50');
    await user.click(screen.getByRole('button', { name: 'Create product' }));

    await waitFor(() => expect(onSaved).toHaveBeenCalledWith(saved));
    expect(onSave).toHaveBeenCalledWith({
      name: 'Mug',
      description: 'Holds coffee',
      unit_amount: 1250,
      currency: 'usd',
      image_url: '',
      stock: null,
      max_per_order: null,
      tax_code: '',
      active: true,
    });
  });

  it('checks the tax code before sending, sends a good one, and shows the server’s error on it', async () => {
    const { fetch, user } = await createRefused('tax_code', 'must be a Stripe tax code (txcd_ and 8 digits), or empty');
    const taxCode = screen.getByLabelText('Tax code');
    await user.type(taxCode, 'txcd_123');
    await user.click(screen.getByRole('button', { name: 'Create product' }));
    await waitFor(() => expect(taxCode).toHaveAttribute('aria-invalid', 'true'));
    expect(taxCode).toHaveAccessibleDescription(/txcd_ and 8 digits/);
    expect(taxCode).toHaveFocus();
    expect(fetch).not.toHaveBeenCalled();

    await user.clear(taxCode);
    await user.type(taxCode, ' txcd_99999999 ');
    await user.click(screen.getByRole('button', { name: 'Create product' }));
    await waitFor(() => expect(fetch).toHaveBeenCalledTimes(1));
    const [, init] = fetch.mock.calls[0]!;
    expect(JSON.parse(String(init!.body))).toMatchObject({ tax_code: 'txcd_99999999' });
    // The server's word on it goes beside the field too.
    await waitFor(() => expect(taxCode).toHaveAccessibleDescription(/Stripe tax code/));
    expect(taxCode).toHaveAttribute('aria-invalid', 'true');
  });

  it('sends the most per order and shows the server’s error on it beside the field', async () => {
    const { fetch, user } = await createRefused('max_per_order', 'must be between 1 and 100, or null for no limit of its own');
    await user.type(screen.getByLabelText('Most per order'), '3');
    await user.click(screen.getByRole('button', { name: 'Create product' }));
    await waitFor(() => expect(screen.getByLabelText('Most per order')).toHaveAttribute('aria-invalid', 'true'));
    expect(screen.getByLabelText('Most per order')).toHaveAccessibleDescription(/between 1 and 100/);
    const [, init] = fetch.mock.calls[0]!;
    expect(JSON.parse(String(init!.body))).toMatchObject({ max_per_order: 3 });
  });

  it('shows the server’s field errors beside each field and focuses the first', async () => {
    setCsrfToken('tok');
    const fetch = stubFetch({
      'POST /api/admin/products': {
        status: 400,
        body: {
          error: {
            code: 'invalid',
            message: 'validation failed',
            fields: {
              unit_amount: "is below Stripe's minimum charge for usd",
              image_url: 'must be an absolute https URL',
            },
          },
        },
      },
    });
    const user = userEvent.setup();
    render(<ProductForm onSave={(input) => adminCreateProduct(input as never)} onSaved={vi.fn()} />);

    await user.type(screen.getByLabelText('Name'), 'Sticker');
    await user.type(screen.getByLabelText('Price'), '0.10');
    await user.type(screen.getByLabelText('Image URL'), 'https://x');
    await user.click(screen.getByRole('button', { name: 'Create product' }));

    const price = screen.getByLabelText('Price');
    await waitFor(() => expect(price).toHaveAttribute('aria-invalid', 'true'));
    expect(price).toHaveAccessibleDescription(/Price is below Stripe's minimum charge for usd$/);
    expect(screen.getByLabelText('Image URL')).toHaveAccessibleDescription(/^An https:\/\/ address.*Image URL must be an absolute https URL$/);
    expect(screen.getByLabelText('Name')).not.toHaveAttribute('aria-invalid');
    // The error sits right after its own field, not only in a summary.
    expect(document.getElementById('price-error')).toHaveTextContent("Price is below Stripe's minimum charge for usd");
    expect(screen.getByRole('alert')).toHaveTextContent(/fix these 2 problems/i);
    expect(price).toHaveFocus();
    expect(JSON.parse(String(fetch.mock.calls[0]![1]!.body))).toMatchObject({ unit_amount: 10 });
    expect(screen.getByRole('button', { name: 'Create product' })).toBeEnabled();
  });

  it('checks required fields before sending anything', async () => {
    const onSave = vi.fn();
    const user = userEvent.setup();
    render(<ProductForm onSave={onSave} onSaved={vi.fn()} />);
    await user.type(screen.getByLabelText('Price'), 'twelve');
    await user.type(screen.getByLabelText('Stock'), '-1');
    await user.click(screen.getByRole('button', { name: 'Create product' }));

    expect(screen.getByLabelText('Name')).toHaveFocus();
    expect(screen.getByLabelText('Name')).toHaveAccessibleDescription('Enter a name.');
    expect(screen.getByLabelText('Price')).toHaveAccessibleDescription(/like 12\.50/);
    expect(screen.getByLabelText('Stock')).toHaveAttribute('aria-invalid', 'true');
    expect(onSave).not.toHaveBeenCalled();
  });

  it('words price errors in money, not cents', async () => {
    const onSave = vi.fn();
    const user = userEvent.setup();
    render(<ProductForm onSave={onSave} onSaved={vi.fn()} />);
    await user.type(screen.getByLabelText('Name'), 'Mug');
    const price = screen.getByLabelText('Price');
    await user.type(price, '0');
    await user.click(screen.getByRole('button', { name: 'Create product' }));
    expect(price).toHaveAccessibleDescription(/Price must be more than zero\.$/);

    await user.clear(price);
    await user.type(price, '1000000');
    await user.click(screen.getByRole('button', { name: 'Create product' }));
    expect(price).toHaveAccessibleDescription(/Price must be at most \$999,999\.99\.$/);

    await user.clear(price);
    await user.type(price, '999999.99');
    await user.click(screen.getByRole('button', { name: 'Create product' }));
    expect(price).not.toHaveAttribute('aria-invalid');
    expect(onSave).toHaveBeenCalledWith(expect.objectContaining({ unit_amount: 99_999_999 }));
  });

  it('says the server’s price bound in money too', async () => {
    const onSave = vi.fn(async () => {
      throw new ApiError(400, 'invalid', 'validation failed', { unit_amount: 'must be between 1 and 99999999' });
    });
    const user = userEvent.setup();
    render(<ProductForm onSave={onSave} onSaved={vi.fn()} />);
    await user.type(screen.getByLabelText('Name'), 'Mug');
    await user.type(screen.getByLabelText('Price'), '5');
    await user.click(screen.getByRole('button', { name: 'Create product' }));
    await waitFor(() =>
      expect(screen.getByLabelText('Price')).toHaveAccessibleDescription(/Price must be at most \$999,999\.99\.$/),
    );
  });

  it('takes https image addresses only, as the server does', async () => {
    const onSave = vi.fn();
    const user = userEvent.setup();
    render(<ProductForm onSave={onSave} onSaved={vi.fn()} />);
    await user.type(screen.getByLabelText('Name'), 'Mug');
    await user.type(screen.getByLabelText('Price'), '5');
    const image = screen.getByLabelText('Image URL');
    await user.type(image, 'http://img.example.com/mug.png');
    await user.click(screen.getByRole('button', { name: 'Create product' }));
    expect(image).toHaveAccessibleDescription(/^An https:\/\/ address.*Enter a full https:\/\/ address, or leave it blank\.$/);
    expect(onSave).not.toHaveBeenCalled();
  });

  it('puts what the image field’s blur shows into the preview’s reserved box, moving nothing above the button', async () => {
    // The first click on "Create product" used to be lost: the message appeared
    // on blur (mouse-down) and pushed the button from under the mouse-up.
    const onSave = vi.fn(async () => saved);
    const user = userEvent.setup();
    const { container } = render(<ProductForm onSave={onSave} onSaved={vi.fn()} />);
    const form = container.querySelector('form')!;
    const layout = () => Array.from(form.children).map((el) => el.className);
    const box = container.querySelector('.image-preview')!;
    expect(box).toHaveTextContent('No image');

    await user.type(screen.getByLabelText('Name'), 'Mug');
    await user.type(screen.getByLabelText('Price'), '5');
    await user.type(screen.getByLabelText('Image URL'), 'ftp://img.example.com/mug.png');
    const before = layout();
    await user.click(screen.getByRole('button', { name: 'Create product' }));
    // The one click both blurred the field and submitted the form.
    expect(container.querySelector('.image-preview')).toBe(box);
    expect(box).toHaveTextContent(/No preview/);
    expect(layout().slice(-3)).toEqual(before.slice(-3));
    expect(screen.getByLabelText('Image URL')).toHaveAttribute('aria-invalid', 'true');
  });

  it('edits: sends only what changed, blank stock meaning unlimited', async () => {
    setCsrfToken('tok');
    const fetch = stubFetch({
      'PATCH /api/admin/products/p1': ({ body }) => ({ body: { ...saved, ...(body as object) } }),
    });
    const onSaved = vi.fn();
    const user = userEvent.setup();
    render(
      <ProductForm product={saved} onSave={(patch) => adminUpdateProduct('p1', patch)} onSaved={onSaved} />,
    );
    expect(screen.getByLabelText('Price')).toHaveValue('12.50');
    expect(screen.getByLabelText('Stock')).toHaveValue(2);
    expect(screen.getByRole('img', { name: /preview/i })).toHaveAttribute('src', saved.image_url);

    await user.clear(screen.getByLabelText('Stock'));
    await user.clear(screen.getByLabelText('Price'));
    await user.type(screen.getByLabelText('Price'), '15');
    await user.click(screen.getByRole('button', { name: 'Save changes' }));

    await waitFor(() => expect(onSaved).toHaveBeenCalled());
    const [, init] = fetch.mock.calls[0]!;
    expect(JSON.parse(String(init!.body))).toEqual({ unit_amount: 1500, stock: null });
    expect((init!.headers as Record<string, string>)['X-CSRF-Token']).toBe('tok');
  });

  it('shows a non-field error (a lost connection) in the summary', async () => {
    const onSave = vi.fn(async () => {
      throw new ApiError(0, 'network', 'Could not reach the shop. Check your connection and try again.');
    });
    const user = userEvent.setup();
    render(<ProductForm onSave={onSave} onSaved={vi.fn()} />);
    await user.type(screen.getByLabelText('Name'), 'Mug');
    await user.type(screen.getByLabelText('Price'), '5');
    await user.click(screen.getByRole('button', { name: 'Create product' }));
    const alert = await screen.findByRole('alert');
    expect(alert).toHaveTextContent(/could not reach the shop/i);
    await waitFor(() => expect(alert).toHaveFocus());
  });
});
