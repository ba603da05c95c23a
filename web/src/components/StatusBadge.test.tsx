import { render, screen } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { StatusBadge } from './StatusBadge';

describe('StatusBadge', () => {
  it('says Cancelled for an expired order the customer cancelled, Expired for one that ran out', () => {
    const { rerender } = render(<StatusBadge status="expired" cancelled />);
    expect(screen.getByText('Cancelled')).toBeInTheDocument();
    rerender(<StatusBadge status="expired" />);
    expect(screen.getByText('Expired')).toBeInTheDocument();
    // cancelled_at on an order a cancel found paid says nothing of its status.
    rerender(<StatusBadge status="paid" cancelled />);
    expect(screen.getByText('Paid')).toBeInTheDocument();
  });
});
