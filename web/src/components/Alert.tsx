import { forwardRef, type ReactNode } from 'react';

interface AlertProps {
  kind?: 'error' | 'info' | 'success' | 'warning';
  title?: string;
  children: ReactNode;
}

/** A message box. Errors are announced (role=alert) and focusable so focus can move to them. */
export const Alert = forwardRef<HTMLDivElement, AlertProps>(function Alert(
  { kind = 'info', title, children },
  ref,
) {
  return (
    <div
      ref={ref}
      className={`alert alert--${kind}`}
      role={kind === 'error' ? 'alert' : 'status'}
      tabIndex={-1}
    >
      {title && <p className="alert__title">{title}</p>}
      <div>{children}</div>
    </div>
  );
});

export function Loading({ label = 'Loading…' }: { label?: string }) {
  return (
    <p className="loading" role="status">
      <span className="spinner" aria-hidden="true" />
      {label}
    </p>
  );
}
