import { render } from '@testing-library/react';
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
