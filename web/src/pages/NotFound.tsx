import { Link } from 'react-router';
import { useTitle } from '../hooks';

export default function NotFound() {
  useTitle('Page not found');
  return (
    <section>
      <h1>Page not found</h1>
      <p>There is nothing at this address.</p>
      <p>
        <Link to="/">Back to the shop</Link>
      </p>
    </section>
  );
}
