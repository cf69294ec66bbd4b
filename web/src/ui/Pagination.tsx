// Cursor pagination (the admin API's next_cursor): a stack of previous cursors makes "Previous" work.
import { Button } from './Button.tsx';

export function Pagination({ page, hasNext, onPrevious, onNext }: { page: number; hasNext: boolean; onPrevious(): void; onNext(): void }) {
  return (
    <nav className="pagination" aria-label="Pagination">
      <Button small disabled={page === 1} onClick={onPrevious}>Previous</Button>
      <span aria-live="polite">Page {page}</span>
      <Button small disabled={!hasNext} onClick={onNext}>Next</Button>
    </nav>
  );
}
