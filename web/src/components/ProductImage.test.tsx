import { fireEvent, render } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { initial, ProductImage } from './ProductImage';

describe('initial', () => {
  it('takes the first grapheme, not the first UTF-16 unit', () => {
    expect(initial('mug')).toBe('M');
    expect(initial('  écharpe')).toBe('É');
    expect(initial('🍵 Tea')).toBe('🍵');
    expect(initial('👩‍🍳 Chef kit')).toBe('👩‍🍳');
    expect(initial('🇫🇷 Flag')).toBe('🇫🇷');
    expect(initial('e\u0301clair')).toBe('E\u0301');
    expect(initial('   ')).toBe('?');
  });

  it('shows the emoji whole in the placeholder', () => {
    const { container } = render(<ProductImage src="" alt="" name="🍵 Tea" />);
    expect(container.textContent).toBe('🍵');
    expect(container.textContent).not.toContain('\uFFFD');
  });
});

describe('ProductImage', () => {
  const picture = {
    id: 'i1',
    width: 1600,
    height: 1200,
    alt: 'A blue mug',
    src: '/media/k/640.jpg',
    srcset: '/media/k/320.jpg 320w, /media/k/640.jpg 640w, /media/k/1280.jpg 1280w',
  };

  it('renders an uploaded picture with srcset, sizes, its size and lazy loading', () => {
    const { container } = render(
      <ProductImage src="https://img.example.com/old.png" alt="Mug" name="Mug" image={picture} sizes="50vw" />,
    );
    const img = container.querySelector('img')!;
    expect(img.getAttribute('src')).toBe('/media/k/640.jpg');
    expect(img.getAttribute('srcset')).toBe(picture.srcset);
    expect(img.getAttribute('sizes')).toBe('50vw');
    expect(img.getAttribute('width')).toBe('1600');
    expect(img.getAttribute('height')).toBe('1200');
    expect(img.getAttribute('loading')).toBe('lazy');
    expect(img.getAttribute('alt')).toBe('A blue mug');
  });

  it('keeps a decorative picture decorative (alt="")', () => {
    const { container } = render(<ProductImage src="" alt="" name="Mug" image={picture} />);
    expect(container.querySelector('img')!.getAttribute('alt')).toBe('');
  });

  it('falls back to image_url, then to the letter', () => {
    const { container } = render(
      <ProductImage src="https://img.example.com/old.png" alt="Mug" name="Mug" image={picture} />,
    );
    fireEvent.error(container.querySelector('img')!);
    const img = container.querySelector('img')!;
    expect(img.getAttribute('src')).toBe('https://img.example.com/old.png');
    expect(img.hasAttribute('srcset')).toBe(false);
    fireEvent.error(img);
    expect(container.querySelector('img')).toBeNull();
    expect(container.textContent).toBe('M');
  });

  it('shows the letter when there is neither', () => {
    const { container } = render(<ProductImage src="" alt="" name="Tote" image={null} />);
    expect(container.querySelector('img')).toBeNull();
    expect(container.textContent).toBe('T');
  });
});
