// The APIs of a product as the catalog lists them: name (linked to its page), protocol, version,
// lifecycle state and description.
import type { components } from '../../api/portal.gen/index.ts';
import { Link } from '../../router.tsx';
import { Badge } from '../../ui/Badge.tsx';
import { StatusBadge } from './StatusBadge.tsx';

type Api = components['schemas']['CatalogProduct']['apis'][number];

export function ApiList({ apis, label }: { apis: readonly Api[]; label?: string }) {
  return (
    <ul className="catalog-apis" aria-label={label}>
      {apis.map((a) => (
        <li key={a.name}>
          <Link href={`/apis/${encodeURIComponent(a.name)}`}>{a.title || a.name}</Link>
          <Badge tone="info">{a.protocol}</Badge>
          {a.version ? <Badge>{`v${a.version}`}</Badge> : null}
          <StatusBadge status={a.status} />
          {a.description ? <span className="hint break-anywhere">{a.description}</span> : null}
        </li>
      ))}
    </ul>
  );
}
