import { render, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import type { Image } from '../api';
import { aProduct } from '../test/product';
import { Gallery } from './Gallery';

const product = aProduct({ id: 'p1', name: 'Enamel mug' });

function image(key: string, alt = ''): Image {
  return {
    id: key,
    width: 1600,
    height: 1200,
    alt,
    src: `/media/${key}/640.jpg`,
    srcset: `/media/${key}/320.jpg 320w, /media/${key}/640.jpg 640w, /media/${key}/1280.jpg 1280w`,
  };
}

const main = () => document.querySelector('.gallery__main') as HTMLImageElement;

describe('Gallery', () => {
  it('shows the first image large, with srcset and its size, and a thumbnail for each', async () => {
    render(<Gallery product={{ ...product, images: [image('a', 'The mug from the side'), image('b'), image('c')] }} />);
    const img = screen.getByRole('img', { name: 'The mug from the side' });
    expect(img).toBe(main());
    expect(img).toHaveAttribute('src', '/media/a/640.jpg');
    expect(img).toHaveAttribute('srcset', expect.stringContaining('/media/a/1280.jpg 1280w'));
    expect(img).toHaveAttribute('width', '1600');
    expect(img).toHaveAttribute('height', '1200');
    const thumbs = screen.getAllByRole('button', { name: /^Show picture/ });
    expect(thumbs.map((b) => b.getAttribute('aria-label'))).toEqual([
      'Show picture 1 of 3: The mug from the side',
      // No alt given: the product's name and the picture's place.
      'Show picture 2 of 3: Enamel mug, picture 2 of 3',
      'Show picture 3 of 3: Enamel mug, picture 3 of 3',
    ]);
    expect(thumbs[0]).toHaveAttribute('aria-current', 'true');
    expect(thumbs[1]).not.toHaveAttribute('aria-current');
  });

  it('shows the picture whose thumbnail is clicked, or chosen by keyboard', async () => {
    const user = userEvent.setup();
    render(<Gallery product={{ ...product, images: [image('a'), image('b'), image('c')] }} />);
    await user.click(screen.getByRole('button', { name: /^Show picture 2/ }));
    expect(main()).toHaveAttribute('src', '/media/b/640.jpg');
    expect(main()).toHaveAccessibleName('Enamel mug, picture 2 of 3');
    expect(screen.getByRole('button', { name: /^Show picture 2/ })).toHaveAttribute('aria-current', 'true');

    // Arrows move along the row (wrapping), Home and End go to its ends.
    await user.keyboard('{ArrowRight}');
    expect(screen.getByRole('button', { name: /^Show picture 3/ })).toHaveFocus();
    expect(main()).toHaveAttribute('src', '/media/c/640.jpg');
    await user.keyboard('{ArrowRight}');
    expect(main()).toHaveAttribute('src', '/media/a/640.jpg');
    await user.keyboard('{End}');
    expect(main()).toHaveAttribute('src', '/media/c/640.jpg');
    await user.keyboard('{Home}');
    expect(screen.getByRole('button', { name: /^Show picture 1/ })).toHaveFocus();

    // Tab and Enter work too: they are buttons.
    await user.tab();
    expect(screen.getByRole('button', { name: /^Show picture 2/ })).toHaveFocus();
    await user.keyboard('{Enter}');
    expect(main()).toHaveAttribute('src', '/media/b/640.jpg');
  });

  it('has no thumbnails for one image', () => {
    render(<Gallery product={{ ...product, images: [image('a')] }} />);
    expect(screen.getByRole('img', { name: 'Enamel mug' })).toHaveAttribute('src', '/media/a/640.jpg');
    expect(screen.queryByRole('button')).toBeNull();
  });

  it.each([
    ['absent', undefined],
    ['empty', []],
  ])('falls back to image_url when images is %s, then to the letter', (_, images) => {
    const { unmount } = render(<Gallery product={{ ...product, image_url: 'https://cdn.example.com/mug.jpg', images }} />);
    expect(screen.getByRole('img', { name: 'Enamel mug' })).toHaveAttribute('src', 'https://cdn.example.com/mug.jpg');
    unmount();
    render(<Gallery product={{ ...product, images }} />);
    expect(document.querySelector('.product-image--placeholder')).toHaveTextContent('E');
  });
});
