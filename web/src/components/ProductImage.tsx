import { useState } from 'react';
import type { ProductImage as Picture } from '../api';

/**
 * The image URL if the page's Content-Security-Policy lets it load (https, or
 * this site), else null: an http:// image elsewhere would only be blocked.
 */
export function displayableImage(url: string): string | null {
  if (!url) return null;
  try {
    const u = new URL(url);
    if (u.protocol === 'https:' || u.origin === window.location.origin) return u.href;
  } catch {
    // not a URL
  }
  return null;
}

const segmenter = typeof Intl.Segmenter === 'function' ? new Intl.Segmenter(undefined, { granularity: 'grapheme' }) : null;

/**
 * The name's first character as the reader sees it (one grapheme: an emoji,
 * a flag, a letter with its accents), upper-cased, or "?" for a blank name.
 */
export function initial(name: string): string {
  const s = name.trim();
  if (!s) return '?';
  const first = segmenter ? segmenter.segment(s)[Symbol.iterator]().next().value?.segment : Array.from(s)[0];
  return (first ?? '?').toUpperCase();
}

interface Props {
  /** The product's image_url: shown when there is no uploaded picture. */
  src: string;
  /**
   * "" where the picture only decorates (a card whose link names the
   * product); otherwise the fallback for an uploaded picture with no alt text
   * of its own.
   */
  alt: string;
  name: string;
  className?: string;
  /** An uploaded picture (a product's images[0]); it wins over src. */
  image?: Picture | null;
  /** How wide the picture is drawn, for the browser to pick from srcset. */
  sizes?: string;
}

/**
 * The product's picture: an uploaded one with its srcset, width and height
 * (the space is kept before it loads), else the image_url, else a
 * placeholder with the name's initial; each falls back to the next when it
 * fails to load.
 */
export function ProductImage({ src, alt, name, className = '', image, sizes = '100vw' }: Props) {
  const [failed, setFailed] = useState<'none' | 'image' | 'url'>('none');
  const url = displayableImage(src);
  if (image && failed === 'none') {
    return (
      <img
        className={`product-image ${className}`}
        src={image.src}
        srcSet={image.srcset}
        sizes={sizes}
        width={image.width}
        height={image.height}
        alt={alt === '' ? '' : image.alt || alt}
        loading="lazy"
        decoding="async"
        onError={() => setFailed('image')}
      />
    );
  }
  if (!url || failed === 'url') {
    return (
      <div className={`product-image product-image--placeholder ${className}`} aria-hidden="true">
        {initial(name)}
      </div>
    );
  }
  return (
    <img
      className={`product-image ${className}`}
      src={url}
      alt={alt}
      loading="lazy"
      decoding="async"
      onError={() => setFailed('url')}
    />
  );
}
