// Toasts announce results politely (role=status) or assertively for errors (role=alert), and
// stay until dismissed or for a few seconds. The stack is a manual popover, so it sits in the top
// layer above an open modal dialog (re-shown on every new toast to come out on top).
import { createContext, useCallback, useContext, useEffect, useMemo, useRef, useState, type ReactNode } from 'react';

interface ToastItem { id: number; text: string; tone: 'info' | 'error' }
interface ToastApi { show(text: string, tone?: 'info' | 'error'): void }

const ToastContext = createContext<ToastApi>({ show: () => undefined });
export const useToast = () => useContext(ToastContext);

let nextId = 1;

export function ToastProvider({ children }: { children: ReactNode }) {
  const [items, setItems] = useState<ToastItem[]>([]);
  const dismiss = useCallback((id: number) => setItems((all) => all.filter((t) => t.id !== id)), []);
  const show = useCallback((text: string, tone: 'info' | 'error' = 'info') => {
    const id = nextId++;
    setItems((all) => [...all.slice(-3), { id, text, tone }]);
    setTimeout(() => dismiss(id), tone === 'error' ? 10_000 : 5_000);
  }, [dismiss]);
  const api = useMemo(() => ({ show }), [show]);
  const stack = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = stack.current;
    if (!el || typeof el.showPopover !== 'function') return;
    if (el.matches(':popover-open')) el.hidePopover();
    if (items.length > 0) el.showPopover();
  }, [items]);
  return (
    <ToastContext.Provider value={api}>
      {children}
      <div className="toasts" popover="manual" ref={stack}>
        {items.map((t) => (
          <div key={t.id} className={`toast${t.tone === 'error' ? ' toast-error' : ''}`} role={t.tone === 'error' ? 'alert' : 'status'}>
            <span className="wrap">{t.text}</span>
            <button type="button" onClick={() => dismiss(t.id)}>Dismiss</button>
          </div>
        ))}
      </div>
    </ToastContext.Provider>
  );
}
