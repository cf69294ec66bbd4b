// The portal's landing page: what the portal is for and where to start.
import { Link } from '../../router.tsx';
import { usePortalSession } from '../session.tsx';

export default function Home() {
  const { account } = usePortalSession();
  return (
    <>
      <header className="hero">
        <div className="container">
          <h1>APIs, ready when you are</h1>
          <p>Browse the API catalog, subscribe to a plan and get your keys in minutes.</p>
        </div>
      </header>
      <div className="container">
        <section className="section" aria-labelledby="getting-started">
          <h2 id="getting-started">Getting started</h2>
          <ol>
            <li>Find an API in the catalog.</li>
            <li>Create an application and subscribe it to a plan.</li>
            <li>Call the API with your application's key.</li>
          </ol>
          {account === undefined ? <p>Operators manage the platform in the <Link href="/console">admin console</Link>.</p> : null}
        </section>
      </div>
    </>
  );
}
