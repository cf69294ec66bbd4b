// The non-data states of a catalog page, so none is ever blank.
import { Button } from '../../ui/Button.tsx';
import { Link } from '../../router.tsx';
import { Spinner } from '../../ui/Spinner.tsx';

export function Loading({ what }: { what: string }) {
  return <div className="page-loading"><Spinner label={`Loading ${what}`} /></div>;
}

export function Failed({ message, status, retry, what }: { message: string; status: number | undefined; retry(): void; what: string }) {
  if (status === 404) return <div className="container catalog-page"><h1>Not found</h1><p>There is no published {what} here. <Link href="/catalog">Browse the catalog</Link>.</p></div>;
  return (
    <div className="container catalog-page">
      <h1>Could not load the {what}</h1>
      <div className="form-errors" role="alert">{message}</div>
      <Button onClick={retry}>Try again</Button>
    </div>
  );
}
