// Top-level routes. Each area is its own lazily loaded chunk, so the portal's landing page never
// downloads the console (and the console never downloads the portal).
import { lazy, Suspense } from 'react';
import { useLocation } from './router.tsx';
import { ToastProvider } from './ui/Toast.tsx';
import { Spinner } from './ui/Spinner.tsx';

const Console = lazy(() => import('./console/Console.tsx'));
const Portal = lazy(() => import('./portal/Portal.tsx'));

export function App() {
  const { path } = useLocation();
  const inConsole = path === '/console' || path.startsWith('/console/');
  return (
    <ToastProvider>
      <Suspense fallback={<div className="page-loading"><Spinner label="Loading" /></div>}>
        {inConsole ? <Console /> : <Portal />}
      </Suspense>
    </ToastProvider>
  );
}
