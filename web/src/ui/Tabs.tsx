// WAI-ARIA tabs: arrow keys, Home and End move between tabs; only the selected tab is in the tab order.
import { useId, useRef, type KeyboardEvent, type ReactNode } from 'react';

export function Tabs({ label, tabs, selected, onSelect }: { label: string; tabs: readonly { id: string; title: string; content: () => ReactNode }[]; selected: string; onSelect(id: string): void }) {
  const base = useId();
  const refs = useRef<(HTMLButtonElement | null)[]>([]);
  const index = Math.max(0, tabs.findIndex((t) => t.id === selected));
  const onKey = (e: KeyboardEvent) => {
    const last = tabs.length - 1;
    const to = e.key === 'ArrowRight' ? (index === last ? 0 : index + 1) : e.key === 'ArrowLeft' ? (index === 0 ? last : index - 1) : e.key === 'Home' ? 0 : e.key === 'End' ? last : -1;
    if (to < 0) return;
    e.preventDefault();
    onSelect(tabs[to]!.id);
    refs.current[to]?.focus();
  };
  const current = tabs[index];
  return (
    <div className="tabs">
      <div role="tablist" aria-label={label} onKeyDown={onKey}>
        {tabs.map((t, i) => (
          <button key={t.id} ref={(el) => { refs.current[i] = el; }} type="button" role="tab" id={`${base}-tab-${t.id}`} aria-controls={`${base}-panel-${t.id}`} aria-selected={i === index} tabIndex={i === index ? 0 : -1} onClick={() => onSelect(t.id)}>{t.title}</button>
        ))}
      </div>
      {current ? <div role="tabpanel" id={`${base}-panel-${current.id}`} aria-labelledby={`${base}-tab-${current.id}`} tabIndex={0}>{current.content()}</div> : null}
    </div>
  );
}
