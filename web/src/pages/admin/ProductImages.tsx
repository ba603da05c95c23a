import { useRef, useState, type DragEvent } from 'react';
import {
  adminDeleteImage,
  adminReorderImages,
  adminUpdateImage,
  adminUploadImage,
  ApiError,
  MAX_IMAGE_BYTES,
  type ProductImage as Picture,
} from '../../api';
import { ProductImage } from '../../components/ProductImage';
import { describeError } from '../../errors';

interface Upload {
  key: number;
  name: string;
  /** Fraction sent, 0 to 1. */
  progress: number;
}

interface Props {
  productId: string;
  productName: string;
  initial: Picture[];
}

const ACCEPT = 'image/jpeg,image/png,image/webp,image/gif';

/** Why the server (or the size check here) refused a file, said beside the field. */
function refusal(name: string, err: unknown): string {
  if (err instanceof ApiError) {
    const why = err.fields.file ?? err.fields.alt;
    if (why) return `${name} ${why}.`;
  }
  return `${name}: ${describeError(err)}`;
}

/**
 * A product's pictures: add by drag and drop or the file picker (several at
 * once, each with its progress), put in order, pick the main one (the first),
 * describe and delete. Each change is saved at once.
 */
export function ProductImages({ productId, productName, initial }: Props) {
  const [images, setImages] = useState<Picture[]>(initial);
  const [uploads, setUploads] = useState<Upload[]>([]);
  const [errors, setErrors] = useState<string[]>([]);
  const [status, setStatus] = useState('');
  const [busy, setBusy] = useState(false);
  const [dragging, setDragging] = useState(false);
  const nextKey = useRef(0);
  const input = useRef<HTMLInputElement>(null);

  function addFiles(files: File[]) {
    if (files.length === 0) return;
    setErrors([]);
    setStatus('');
    for (const file of files) {
      if (file.size > MAX_IMAGE_BYTES) {
        setErrors((e) => [...e, `${file.name} must be at most 10 MB.`]);
        continue;
      }
      const key = nextKey.current++;
      setUploads((u) => [...u, { key, name: file.name, progress: 0 }]);
      const { done } = adminUploadImage(productId, file, (progress) =>
        setUploads((u) => u.map((x) => (x.key === key ? { ...x, progress } : x))),
      );
      done
        .then((img) => {
          setImages((list) => (list.some((i) => i.id === img.id) ? list : [...list, img]));
          setStatus(`${file.name} added.`);
        })
        .catch((err: unknown) => setErrors((e) => [...e, refusal(file.name, err)]))
        .finally(() => setUploads((u) => u.filter((x) => x.key !== key)));
    }
    if (input.current) input.current.value = '';
  }

  async function change(what: string, op: () => Promise<Picture[] | void>) {
    setBusy(true);
    setErrors([]);
    try {
      const list = await op();
      if (list) setImages(list);
      setStatus(what);
    } catch (err) {
      setErrors([describeError(err)]);
    } finally {
      setBusy(false);
    }
  }

  function move(index: number, by: -1 | 1) {
    const ids = images.map((i) => i.id);
    [ids[index], ids[index + by]] = [ids[index + by] as string, ids[index] as string];
    void change(`Picture ${index + 1} moved ${by < 0 ? 'up' : 'down'}.`, () => adminReorderImages(productId, ids));
  }

  function onDrop(e: DragEvent) {
    e.preventDefault();
    setDragging(false);
    addFiles(Array.from(e.dataTransfer.files));
  }

  const errorId = errors.length > 0 ? 'images-file-error' : undefined;
  return (
    <section className="card product-images" aria-labelledby="product-images-heading">
      <h2 id="product-images-heading">Pictures</h2>
      <div
        className={`dropzone${dragging ? ' dropzone--active' : ''}${errors.length > 0 ? ' field--invalid' : ''}`}
        onDragOver={(e) => {
          e.preventDefault();
          setDragging(true);
        }}
        onDragLeave={() => setDragging(false)}
        onDrop={onDrop}
        data-testid="dropzone"
      >
        <label htmlFor="images-file">Add pictures</label>
        <input
          ref={input}
          id="images-file"
          name="file"
          type="file"
          accept={ACCEPT}
          multiple
          aria-invalid={errors.length > 0 ? true : undefined}
          aria-describedby={['images-file-hint', errorId].filter(Boolean).join(' ')}
          onChange={(e) => addFiles(Array.from(e.target.files ?? []))}
        />
        <p className="field__hint" id="images-file-hint">
          Drop files here or choose them: JPEG, PNG, WebP or GIF, up to 10 MB each. The first picture is the main one.
        </p>
        {errors.length > 0 && (
          <ul className="field__error" id="images-file-error">
            {errors.map((m, i) => (
              <li key={i}>{m}</li>
            ))}
          </ul>
        )}
      </div>

      {uploads.length > 0 && (
        <ul className="uploads" aria-label="Uploads in progress">
          {uploads.map((u) => (
            <li key={u.key}>
              <label htmlFor={`upload-${u.key}`}>Uploading {u.name}</label>
              <progress id={`upload-${u.key}`} max={1} value={u.progress}>
                {Math.round(u.progress * 100)}%
              </progress>
            </li>
          ))}
        </ul>
      )}

      <p className="visually-hidden" role="status">
        {status}
      </p>

      {images.length === 0 ? (
        <p className="muted">No pictures yet.</p>
      ) : (
        <ol className="image-list" aria-label="Pictures, the main one first">
          {images.map((img, i) => (
            <li key={img.id} className="image-list__item">
              <ProductImage src="" alt="" name={productName} image={img} sizes="6rem" className="image-list__thumb" />
              <div className="image-list__body">
                <p className="image-list__title">
                  Picture {i + 1}
                  {i === 0 && <span className="badge">Main</span>}
                  <span className="muted">
                    {' '}
                    {img.width}×{img.height}
                  </span>
                </p>
                <AltField
                  id={`alt-${img.id}`}
                  label={`Description of picture ${i + 1}`}
                  value={img.alt}
                  disabled={busy}
                  onSave={(alt) =>
                    change(`Description of picture ${i + 1} saved.`, () => adminUpdateImage(productId, img.id, { alt }))
                  }
                />
                <div className="image-list__actions">
                  <button
                    type="button"
                    className="button button--small"
                    disabled={busy || i === 0}
                    onClick={() => move(i, -1)}
                    aria-label={`Move picture ${i + 1} up`}
                  >
                    ↑ Up
                  </button>
                  <button
                    type="button"
                    className="button button--small"
                    disabled={busy || i === images.length - 1}
                    onClick={() => move(i, 1)}
                    aria-label={`Move picture ${i + 1} down`}
                  >
                    ↓ Down
                  </button>
                  {i > 0 && (
                    <button
                      type="button"
                      className="button button--small"
                      disabled={busy}
                      onClick={() =>
                        change(`Picture ${i + 1} is now the main one.`, () =>
                          adminUpdateImage(productId, img.id, { main: true }),
                        )
                      }
                      aria-label={`Make main: picture ${i + 1}`}
                    >
                      Make main
                    </button>
                  )}
                  <button
                    type="button"
                    className="button button--small button--danger"
                    disabled={busy}
                    onClick={() =>
                      change(`Picture ${i + 1} deleted.`, async () => {
                        await adminDeleteImage(productId, img.id);
                        return images.filter((x) => x.id !== img.id);
                      })
                    }
                    aria-label={`Delete picture ${i + 1}`}
                  >
                    Delete
                  </button>
                </div>
              </div>
            </li>
          ))}
        </ol>
      )}
    </section>
  );
}

function AltField(props: {
  id: string;
  label: string;
  value: string;
  disabled: boolean;
  onSave: (alt: string) => void;
}) {
  const [value, setValue] = useState(props.value);
  return (
    <div className="field field--compact">
      <label htmlFor={props.id}>{props.label}</label>
      <input
        id={props.id}
        type="text"
        maxLength={500}
        value={value}
        disabled={props.disabled}
        onChange={(e) => setValue(e.target.value)}
        onBlur={() => {
          if (value.trim() !== props.value) props.onSave(value.trim());
        }}
      />
    </div>
  );
}
