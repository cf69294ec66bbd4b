import { Badge } from '../../ui/Badge.tsx';

/** An API's or version's lifecycle state; nothing for active ones (the normal case). */
export function StatusBadge({ status }: { status: 'active' | 'deprecated' | 'sunset' }) {
  if (status === 'active') return null;
  return <Badge tone={status === 'sunset' ? 'danger' : 'warning'}>{status}</Badge>;
}
