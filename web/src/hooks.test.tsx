import { act, render, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { useEffect, useState } from 'react';
import { Link, MemoryRouter, Route, Routes } from 'react-router';
import { describe, expect, it } from 'vitest';
import { useFocusHeadingOnNavigate } from './hooks';

let finishLoading: () => void = () => {};

function Later() {
  const [ready, setReady] = useState(false);
  useEffect(() => {
    finishLoading = () => setReady(true);
  }, []);
  return ready ? <h1>Loaded page</h1> : <p>Loading…</p>;
}

function Harness() {
  useFocusHeadingOnNavigate();
  return (
    <>
      {/* A nav that stays, so the followed link keeps focus as in the layouts. */}
      <nav><Link to="/next">Next</Link><Link to="/later">Later</Link></nav>
      <main>
      <Routes>
        <Route path="/" element={<h1>Home</h1>} />
        <Route path="/next" element={<h1>Next page</h1>} />
        <Route path="/later" element={<Later />} />
      </Routes>
      </main>
    </>
  );
}

describe('useFocusHeadingOnNavigate', () => {
  it('leaves the first page alone and focuses the next page’s heading', async () => {
    const user = userEvent.setup();
    render(<MemoryRouter><Harness /></MemoryRouter>);
    expect(document.body).toHaveFocus();
    await user.click(screen.getByRole('link', { name: 'Next' }));
    const heading = screen.getByRole('heading', { name: 'Next page' });
    expect(heading).toHaveFocus();
    expect(heading).toHaveAttribute('tabindex', '-1');
  });

  it('focuses a heading that appears once the page has loaded, though the followed link kept focus', async () => {
    const user = userEvent.setup();
    render(<MemoryRouter><Harness /></MemoryRouter>);
    await user.click(screen.getByRole('link', { name: 'Later' }));
    expect(screen.getByRole('link', { name: 'Later' })).toHaveFocus();
    act(() => finishLoading());
    await screen.findByRole('heading', { name: 'Loaded page' });
    await act(async () => {}); // the MutationObserver's callback
    expect(screen.getByRole('heading', { name: 'Loaded page' })).toHaveFocus();
  });
});
