import { act, render, screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { useEffect, useState } from 'react';
import { Link, MemoryRouter, Route, Routes } from 'react-router';
import { describe, expect, it } from 'vitest';
import { useFocusHeadingOnNavigate, useStatusMessage } from './hooks';

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

describe('useStatusMessage', () => {
  function Page() {
    const { message, messageRef, show } = useStatusMessage();
    return (
      <>
        <button onClick={() => show('error', 'The refund failed.')}>Refund</button>
        {message && (
          <div role="alert" tabIndex={-1} ref={messageRef} data-kind={message.kind}>
            {message.text}
          </div>
        )}
      </>
    );
  }

  it('shows the message and moves the focus to it, so a screen reader reads it', async () => {
    render(<Page />);
    await userEvent.click(screen.getByRole('button', { name: 'Refund' }));
    const alert = screen.getByRole('alert');
    expect(alert).toHaveTextContent('The refund failed.');
    expect(alert).toHaveAttribute('data-kind', 'error');
    await waitFor(() => expect(alert).toHaveFocus());
  });
});
