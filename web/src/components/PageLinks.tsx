import { Link, type To } from 'react-router';

interface Props {
  page: number;
  pages: number;
  /** Where page n is (the same list with ?page=n). */
  to: (n: number) => To;
}

/**
 * Numbered links between the pages of a list whose page is in the URL (so
 * Back returns to it): Previous, the first and last pages, the current one
 * with its neighbours, Next. Nothing when there is one page. The cursor
 * lists of the admin use Pager ("Load more") instead: they have no page
 * numbers to link to.
 */
export function PageLinks({ page, pages, to }: Props) {
  if (pages <= 1) return null;
  const shown = [...new Set([1, page - 1, page, page + 1, pages])].filter((n) => n >= 1 && n <= pages).sort((a, b) => a - b);
  const items: (number | 'gap')[] = [];
  for (const n of shown) {
    const last = items.at(-1);
    if (typeof last === 'number' && n > last + 1) items.push('gap');
    items.push(n);
  }
  return (
    <nav className="page-links" aria-label="Pages">
      <ul>
        <li>
          {page > 1 ? (
            <Link to={to(page - 1)} rel="prev" aria-label="Previous page">
              Previous
            </Link>
          ) : (
            <span className="page-links__off">Previous</span>
          )}
        </li>
        {items.map((n, i) =>
          n === 'gap' ? (
            <li key={`gap-${i}`} aria-hidden="true" className="page-links__gap">
              …
            </li>
          ) : (
            <li key={n}>
              <Link to={to(n)} aria-label={`Page ${n}`} aria-current={n === page ? 'page' : undefined}>
                {n}
              </Link>
            </li>
          ),
        )}
        <li>
          {page < pages ? (
            <Link to={to(page + 1)} rel="next" aria-label="Next page">
              Next
            </Link>
          ) : (
            <span className="page-links__off">Next</span>
          )}
        </li>
      </ul>
    </nav>
  );
}
