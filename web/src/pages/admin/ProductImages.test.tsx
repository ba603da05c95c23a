import { act, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';
import { setCsrfToken, type ProductImage } from '../../api';
import { stubFetch } from '../../test/fetch';
import { ProductImages } from './ProductImages';

function picture(id: string, n: number): ProductImage {
  return {
    id,
    width: 800,
    height: 600,
    alt: '',
    src: `/media/k${n}/640.jpg`,
    srcset: `/media/k${n}/320.jpg 320w, /media/k${n}/640.jpg 640w, /media/k${n}/800.jpg 800w`,
  };
}

/** A stand-in XMLHttpRequest: the test decides when and how each upload ends. */
class FakeXHR {
  static sent: FakeXHR[] = [];
  method = '';
  url = '';
  headers: Record<string, string> = {};
  body: FormData | null = null;
  status = 0;
  responseText = '';
  withCredentials = false;
  upload: { onprogress: ((e: { lengthComputable: boolean; loaded: number; total: number }) => void) | null } = {
    onprogress: null,
  };
  onload: (() => void) | null = null;
  onerror: (() => void) | null = null;
  onabort: (() => void) | null = null;
  open(method: string, url: string) {
    this.method = method;
    this.url = url;
  }
  setRequestHeader(k: string, v: string) {
    this.headers[k] = v;
  }
  getResponseHeader() {
    return null;
  }
  send(body: FormData) {
    this.body = body;
    FakeXHR.sent.push(this);
  }
  abort() {
    this.onabort?.();
  }
  progress(loaded: number, total: number) {
    act(() => this.upload.onprogress?.({ lengthComputable: true, loaded, total }));
  }
  answer(status: number, body: unknown) {
    this.status = status;
    this.responseText = JSON.stringify(body);
    this.onload?.();
  }
}

function useFakeXHR() {
  FakeXHR.sent = [];
  vi.stubGlobal('XMLHttpRequest', FakeXHR);
}

function file(name: string, bytes = 10, type = 'image/png'): File {
  return new File([new Uint8Array(bytes)], name, { type });
}

describe('ProductImages', () => {
  it('uploads several files with a progress bar each, and lists them main first', async () => {
    useFakeXHR();
    setCsrfToken('tok');
    const user = userEvent.setup();
    render(<ProductImages productId="p1" productName="Mug" initial={[]} />);

    await user.upload(screen.getByLabelText('Add pictures'), [file('front.png'), file('back.jpg')]);
    expect(FakeXHR.sent).toHaveLength(2);
    const [a, b] = FakeXHR.sent as [FakeXHR, FakeXHR];
    expect(a.method).toBe('POST');
    expect(a.url).toBe('/api/admin/products/p1/images');
    expect(a.headers['X-CSRF-Token']).toBe('tok');
    expect((a.body?.get('file') as File).name).toBe('front.png');

    a.progress(30, 100);
    const bar = screen.getByLabelText('Uploading front.png') as HTMLProgressElement;
    expect(bar.value).toBeCloseTo(0.3);
    expect(screen.getByLabelText('Uploading back.jpg')).toBeInTheDocument();

    await act(async () => a.answer(201, picture('i1', 1)));
    await act(async () => b.answer(201, picture('i2', 2)));
    await waitFor(() => expect(screen.queryByLabelText('Uploading back.jpg')).toBeNull());
    const items = within(screen.getByRole('list', { name: /Pictures/ })).getAllByRole('listitem');
    expect(items).toHaveLength(2);
    expect(items[0]).toHaveTextContent('Main');
    expect(items[0]!.querySelector('img')!.getAttribute('srcset')).toContain('320w');
    expect(screen.getByRole('status')).toHaveTextContent('back.jpg added.');
  });

  it("shows the server's refusal beside the field", async () => {
    useFakeXHR();
    const user = userEvent.setup();
    render(<ProductImages productId="p1" productName="Mug" initial={[]} />);
    await user.upload(screen.getByLabelText('Add pictures'), file('notes.jpg'));
    await act(async () =>
      FakeXHR.sent[0]!.answer(400, {
        error: { code: 'invalid', message: 'the file …', fields: { file: 'must be a JPEG, PNG, WebP or GIF image' } },
      }),
    );
    const input = screen.getByLabelText('Add pictures');
    await waitFor(() => expect(input).toHaveAttribute('aria-invalid', 'true'));
    expect(input).toHaveAccessibleDescription(/notes\.jpg must be a JPEG, PNG, WebP or GIF image\./);
  });

  it('refuses a file over 10 MB without sending it', async () => {
    useFakeXHR();
    render(<ProductImages productId="p1" productName="Mug" initial={[]} />);
    // fireEvent: userEvent.upload filters by accept, and the size is what matters here.
    const big = file('huge.jpg', 11 * 1024 * 1024, 'image/jpeg');
    fireEvent.change(screen.getByLabelText('Add pictures'), { target: { files: [big] } });
    expect(FakeXHR.sent).toHaveLength(0);
    expect(await screen.findByText('huge.jpg must be at most 10 MB.')).toBeInTheDocument();
  });

  it('takes files dropped on it', () => {
    useFakeXHR();
    render(<ProductImages productId="p1" productName="Mug" initial={[]} />);
    fireEvent.drop(screen.getByTestId('dropzone'), { dataTransfer: { files: [file('dropped.png')] } });
    expect(FakeXHR.sent).toHaveLength(1);
    expect(screen.getByLabelText('Uploading dropped.png')).toBeInTheDocument();
  });

  it('reorders, picks the main one and deletes, saving each change', async () => {
    const one = picture('i1', 1);
    const two = picture('i2', 2);
    const fetchFn = stubFetch({
      'POST /api/admin/products/p1/images/reorder': ({ body }) => {
        expect(body).toEqual({ ids: ['i2', 'i1'] });
        return { body: { images: [two, one] } };
      },
      'PATCH /api/admin/products/p1/images/i1': ({ body }) => {
        expect(body).toEqual({ main: true });
        return { body: { images: [one, two] } };
      },
      'DELETE /api/admin/products/p1/images/i2': { status: 204 },
    });
    const user = userEvent.setup();
    render(<ProductImages productId="p1" productName="Mug" initial={[one, two]} />);
    expect(screen.getByRole('button', { name: 'Move picture 1 up' })).toBeDisabled();

    await user.click(screen.getByRole('button', { name: 'Move picture 2 up' }));
    await waitFor(() => expect(screen.getByRole('status')).toHaveTextContent('Picture 2 moved up.'));
    let items = screen.getAllByRole('listitem');
    expect(items[0]!.querySelector('img')!.getAttribute('src')).toBe(two.src);

    await user.click(screen.getByRole('button', { name: 'Make main: picture 2' }));
    await waitFor(() => expect(screen.getByRole('status')).toHaveTextContent('Picture 2 is now the main one.'));
    items = screen.getAllByRole('listitem');
    expect(items[0]!.querySelector('img')!.getAttribute('src')).toBe(one.src);

    await user.click(screen.getByRole('button', { name: 'Delete picture 2' }));
    await waitFor(() => expect(screen.getAllByRole('listitem')).toHaveLength(1));
    expect(fetchFn).toHaveBeenCalledTimes(3);
  });
});
