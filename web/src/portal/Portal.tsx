// The developer portal's landing page. The catalog, applications and keys pages arrive with the
// portal API (issue 7's next steps); this chunk stays small because it is the first load.
import { useEffect } from 'react';

export default function Portal() {
  useEffect(() => { document.title = 'Portcullis developer portal'; }, []);
  return (
    <>
      <a className="skip-link" href="#main">Skip to content</a>
      <header className="hero">
        <div className="container">
          <h1>APIs, ready when you are</h1>
          <p>Browse the API catalog, subscribe to a plan and get your keys in minutes.</p>
        </div>
      </header>
      <main id="main" className="container">
        <section className="section" aria-labelledby="getting-started">
          <h2 id="getting-started">Getting started</h2>
          <ol>
            <li>Find an API in the catalog.</li>
            <li>Create an application and subscribe it to a plan.</li>
            <li>Call the API with your application's key.</li>
          </ol>
          <p>The catalog opens here soon. Operators manage the platform in the <a href="/console">admin console</a>.</p>
        </section>
      </main>
    </>
  );
}
