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
        {name.trim().charAt(0).toUpperCase() || '?'}
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
