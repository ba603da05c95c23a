import { useState } from 'react';

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
  src: string;
  alt: string;
  name: string;
  className?: string;
}

/** The product's picture, or a placeholder with its initial when there is none or it fails. */
export function ProductImage({ src, alt, name, className = '' }: Props) {
  const [failed, setFailed] = useState(false);
  const url = displayableImage(src);
  if (!url || failed) {
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
      onError={() => setFailed(true)}
    />
  );
}
