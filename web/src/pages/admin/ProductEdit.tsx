import { Link, useNavigate, useParams } from 'react-router';
import {
  adminCreateProduct,
  adminGetProduct,
  adminUpdateProduct,
  type Product,
  type ProductInput,
} from '../../api';
import { Alert, Loading } from '../../components/Alert';
import { describeError } from '../../errors';
import { useLoad, useTitle } from '../../hooks';
import { ProductForm } from './ProductForm';
import { ProductImages } from './ProductImages';

export default function ProductEdit() {
  const { id } = useParams();
  const navigate = useNavigate();
  const { data: product, error, loading } = useLoad<Product | undefined>(
    () => (id ? adminGetProduct(id) : Promise.resolve(undefined)),
    [id],
  );
  useTitle(id ? `Edit ${product?.name ?? 'product'}` : 'New product');

  const done = (saved: Product) =>
    navigate('/admin/products', {
      state: { flash: `Saved “${saved.name}”.` },
    });

  return (
    <section aria-labelledby="product-edit-heading">
      <p className="breadcrumb">
        <Link to="/admin/products">← Products</Link>
      </p>
      <h1 id="product-edit-heading">{id ? 'Edit product' : 'New product'}</h1>
      {id && loading && <Loading label="Loading product…" />}
      {id && error != null && (
        <Alert kind="error">
          <p>{describeError(error)}</p>
        </Alert>
      )}
      {!id && <p className="muted">You can add pictures once the product is created.</p>}
      {!id && (
        <ProductForm
          onSave={(input) => adminCreateProduct(input as ProductInput)}
          onSaved={done}
          onCancel={() => navigate('/admin/products')}
        />
      )}
      {id && product && (
        <ProductForm
          key={product.id}
          product={product}
          onSave={(patch) => adminUpdateProduct(product.id, patch)}
          onSaved={done}
          onCancel={() => navigate('/admin/products')}
        />
      )}
      {id && product && (
        <ProductImages productId={product.id} productName={product.name} initial={product.images ?? []} />
      )}
    </section>
  );
}
