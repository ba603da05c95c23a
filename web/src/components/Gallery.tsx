import { useRef, useState, type KeyboardEvent } from 'react';
import type { Image, Product } from '../api';
import { ProductImage } from './ProductImage';

/** How wide the main image is drawn, for the browser's choice in srcset. */
const MAIN_SIZES = '(min-width: 48rem) min(32rem, 50vw), 100vw';
const THUMB_SIZES = '4.5rem';

/**
 * The product page's pictures: the main image and, when there are several,
 * a row of thumbnails that show each in its place (buttons: Tab and
 * Enter/Space, or the arrow keys, Home and End along the row). A product
 * without uploaded images shows its image_url, or the letter placeholder.
 */
export function Gallery({ product }: { product: Product }) {
  const images = product.images ?? [];
  const [shown, setShown] = useState(0);
  const thumbs = useRef<(HTMLButtonElement | null)[]>([]);

  if (images.length === 0) {
    return <ProductImage src={product.image_url} alt={product.name} name={product.name} className="product-page__image" />;
  }
  const current = Math.min(shown, images.length - 1);
  const alt = (img: Image, i: number) =>
    img.alt.trim() || (images.length > 1 ? `${product.name}, picture ${i + 1} of ${images.length}` : product.name);

  function onKeyDown(e: KeyboardEvent) {
    const to = { ArrowRight: current + 1, ArrowDown: current + 1, ArrowLeft: current - 1, ArrowUp: current - 1, Home: 0, End: images.length - 1 }[e.key];
    if (to === undefined) return;
    e.preventDefault();
    const n = (to + images.length) % images.length;
    setShown(n);
    thumbs.current[n]?.focus();
  }

  const main = images[current]!;
  return (
    <div className="gallery product-page__image">
      <img
        key={main.id}
        className="product-image gallery__main"
        src={main.src}
        srcSet={main.srcset || undefined}
        sizes={MAIN_SIZES}
        width={main.width || undefined}
        height={main.height || undefined}
        alt={alt(main, current)}
        decoding="async"
      />
      {images.length > 1 && (
        <ul className="gallery__thumbs" aria-label="Pictures" onKeyDown={onKeyDown}>
          {images.map((img, i) => (
            <li key={img.id}>
              <button
                type="button"
                ref={(el) => {
                  thumbs.current[i] = el;
                }}
                className="gallery__thumb"
                aria-current={i === current ? 'true' : undefined}
                aria-label={`Show picture ${i + 1} of ${images.length}: ${alt(img, i)}`}
                onClick={() => setShown(i)}
              >
                <img
                  src={img.src}
                  srcSet={img.srcset || undefined}
                  sizes={THUMB_SIZES}
                  width={img.width || undefined}
                  height={img.height || undefined}
                  alt=""
                  loading="lazy"
                  decoding="async"
                />
              </button>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
