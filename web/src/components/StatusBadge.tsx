import type { OrderStatus } from '../api';

const labels: Record<OrderStatus, string> = {
  pending: 'Pending',
  processing: 'Processing',
  paid: 'Paid',
  failed: 'Failed',
  expired: 'Expired',
  refunded: 'Refunded',
};

export function statusLabel(status: string): string {
  return labels[status as OrderStatus] ?? status;
}

/**
 * An order's status. An expired order the customer cancelled themselves
 * (cancelled_at) reads "Cancelled": the lifecycle has one status for both.
 */
export function StatusBadge({ status, cancelled = false }: { status: string; cancelled?: boolean }) {
  const label = cancelled && status === 'expired' ? 'Cancelled' : statusLabel(status);
  return <span className={`badge badge--${status}`}>{label}</span>;
}
