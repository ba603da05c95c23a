import { useState } from 'react';
import { Link, useLocation } from 'react-router';
import {
  adminDeleteProduct,
  adminListProducts,
  adminUpdateProduct,
  type Product,
} from '../../api';
import { Alert, Loading } from '../../components/Alert';
import { ConfirmDialog } from '../../components/ConfirmDialog';
import { ProductImage } from '../../components/ProductImage';
import { describeError } from '../../errors';
import { useLoad, useStatusMessage, useTitle } from '../../hooks';
import { formatMoney } from '../../money';

export default function Products() {
  useTitle('Products');
  const location = useLocation();
  const flash = (location.state as { flash?: string } | null)?.flash;
  const { data: products, error, loading, reload, setData } = useLoad(adminListProducts, []);
  const [archiving, setArchiving] = useState<Product | null>(null);
  const [busy, setBusy] = useState(false);
  const { message, setMessage, messageRef, show } = useStatusMessage();

  async function archive(p: Product) {
    setBusy(true);
    try {
      await adminDeleteProduct(p.id);
      const fresh = await adminListProducts();
      setData(fresh);
      const kept = fresh.some((x) => x.id === p.id);
      show(
        'success',
        kept
          ? `“${p.name}” is archived: it has orders, so it is kept but no longer sold.`
          : `“${p.name}” is deleted.`,
      );
    } catch (err) {
      show('error', describeError(err));
    } finally {
      setBusy(false);
      setArchiving(null);
    }
  }

  async function restore(p: Product) {
    try {
      const saved = await adminUpdateProduct(p.id, { active: true });
      setData((products ?? []).map((x) => (x.id === saved.id ? saved : x)));
      setMessage({ kind: 'success', text: `“${p.name}” is back in the shop.` });
    } catch (err) {
      setMessage({ kind: 'error', text: describeError(err) });
    }
  }

  return (
    <section aria-labelledby="products-heading">
      <div className="page-head">
        <h1 id="products-heading">Products</h1>
        <Link className="button button--primary" to="/admin/products/new">
          New product
        </Link>
      </div>
      {flash && !message && <Alert kind="success">{flash}</Alert>}
      {message && (
        <Alert kind={message.kind} ref={messageRef}>
          {message.text}
        </Alert>
      )}
      {loading && !products && <Loading label="Loading products…" />}
      {error != null && (
        <Alert kind="error" title="The products could not be loaded">
          <p>{describeError(error)}</p>
          <button type="button" className="button" onClick={reload}>
            Try again
          </button>
        </Alert>
      )}
      {products && products.length === 0 && (
        <p className="empty">
          No products yet. <Link to="/admin/products/new">Create the first one</Link>.
        </p>
      )}
      {products && products.length > 0 && (
        <div className="table-wrap">
          <table className="table table--stack">
            <caption className="visually-hidden">All products, including archived ones</caption>
            <thead>
              <tr>
                <th scope="col" className="thumb-cell">
                  <span className="visually-hidden">Image</span>
                </th>
                <th scope="col">Name</th>
                <th scope="col" className="num">
                  Price
                </th>
                <th scope="col" className="num">
                  Stock
                </th>
                <th scope="col">Status</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {products.map((p) => (
                <tr key={p.id} className={p.active ? '' : 'row--muted'}>
                  <td className="thumb-cell">
                    <ProductImage src={p.image_url} alt="" name={p.name} className="thumb" image={p.images?.[0]} sizes="44px" />
                  </td>
                  <th scope="row">{p.name}</th>
                  <td className="num" data-label="Price">{formatMoney(p.unit_amount, p.currency)}</td>
                  <td className="num" data-label="Stock" data-testid="stock">
                    {p.stock === null ? 'Unlimited' : p.stock}
                  </td>
                  <td data-label="Status">
                    {p.active ? (
                      <span className="badge badge--paid">Active</span>
                    ) : (
                      <span className="badge badge--expired">Archived</span>
                    )}
                  </td>
                  <td className="actions-cell">
                    <Link
                      className="button button--small"
                      to={`/admin/products/${encodeURIComponent(p.id)}/edit`}
                      aria-label={`Edit ${p.name}`}
                    >
                      Edit
                    </Link>
                    {p.active ? (
                      <button
                        type="button"
                        className="button button--small button--danger-outline"
                        onClick={() => setArchiving(p)}
                        aria-label={`Archive ${p.name}`}
                      >
                        Archive
                      </button>
                    ) : (
                      <button
                        type="button"
                        className="button button--small"
                        onClick={() => restore(p)}
                        aria-label={`Restore ${p.name}`}
                      >
                        Restore
                      </button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <ConfirmDialog
        open={archiving !== null}
        title={`Archive “${archiving?.name ?? ''}”?`}
        confirmLabel={busy ? 'Archiving…' : 'Archive'}
        danger
        busy={busy}
        onConfirm={() => archiving && archive(archiving)}
        onCancel={() => setArchiving(null)}
      >
        <p>
          It disappears from the shop. A product that has orders is kept (archived) so its orders stay
          complete; one with no orders is deleted.
        </p>
      </ConfirmDialog>
    </section>
  );
}
