import { Loading } from './Alert';

interface PagerProps {
  loading: boolean;
  cursor: string | null;
  onMore: () => void;
  /** What the spinner says while a page loads. */
  label: string;
}

/** The foot of a cursor-paged list: a spinner while a page loads, else "Load more" while there is a next page. */
export function Pager({ loading, cursor, onMore, label }: PagerProps) {
  if (loading) return <Loading label={label} />;
  if (!cursor) return null;
  return (
    <p className="pager">
      <button type="button" className="button" onClick={onMore}>
        Load more
      </button>
    </p>
  );
}
