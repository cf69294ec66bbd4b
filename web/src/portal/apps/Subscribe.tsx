// /apps/subscribe?product=P&plan=Q — the catalog's "Subscribe" lands here: pick one of the team's
// applications (or create one), read the plan's terms (limits, price, approval), subscribe.
import { useEffect, useState, type FormEvent } from 'react';
import { ApiError, call, messageOf, portal } from '../../api/portal.ts';
import { Link, navigate } from '../../router.tsx';
import { Button } from '../../ui/Button.tsx';
import { SelectField } from '../../ui/Field.tsx';
import { Spinner } from '../../ui/Spinner.tsx';
import { useToast } from '../../ui/Toast.tsx';
import type { PageProps } from '../routes.tsx';
import { usePortalSession } from '../session.tsx';
import { CreateAppForm, NoTeam } from './Apps.tsx';
import { PlanTerms } from './plan.tsx';
import { LoadError, useAsync } from './shared.tsx';
import './apps.css';

const NEW = '__new__';

export default function Subscribe({ search }: PageProps) {
  const { team } = usePortalSession();
  const toast = useToast();
  const productName = search.get('product') ?? '';
  const product = useAsync(async () => (productName ? call(portal.GET('/portal/api/catalog/products/{product}', { params: { path: { product: productName } } })) : undefined), [productName]);
  const apps = useAsync(async () => (team ? (await call(portal.GET('/portal/api/teams/{team}/apps', { params: { path: { team: team.id } } }))).data : []), [team?.id]);
  const [planName, setPlanName] = useState(search.get('plan') ?? '');
  const [appId, setAppId] = useState('');
  const [error, setError] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);

  // Defaults once the lists arrive: the plan from the link (else the first), the first application (else "new").
  useEffect(() => {
    const plans = product.data?.plans ?? [];
    if (plans.length > 0 && !plans.some((p) => p.name === planName)) setPlanName(plans[0]!.name);
  }, [product.data, planName]);
  useEffect(() => {
    if (apps.data && appId === '') setAppId(apps.data[0]?.id ?? NEW);
  }, [apps.data, appId]);

  if (!team) return <NoTeam />;
  if (!productName) {
    return <div className="container section"><h1>Subscribe</h1><p>Pick an API product in the <Link href="/catalog">catalog</Link> first.</p></div>;
  }
  if (product.error) {
    return (
      <div className="container section">
        <h1>Subscribe</h1>
        <LoadError message={product.error} retry={product.reload} />
        <p><Link href="/catalog">Back to the catalog</Link></p>
      </div>
    );
  }
  if (apps.error) return <div className="container section"><h1>Subscribe</h1><LoadError message={apps.error} retry={apps.reload} /></div>;
  if (!product.data || !apps.data) return <div className="page-loading"><Spinner label="Loading" /></div>;
  const p = product.data;
  const plan = p.plans.find((x) => x.name === planName);

  const subscribe = async (toApp: string) => {
    if (!plan) return;
    setBusy(true);
    setError(undefined);
    try {
      const s = await call(portal.POST('/portal/api/teams/{team}/apps/{app}/subscriptions', { params: { path: { team: team.id, app: toApp } }, body: { product: p.name, plan: plan.name } }));
      toast.show(s.status === 'pending' ? `Subscribed to ${p.title || p.name}: pending approval` : `Subscribed to ${p.title || p.name}`);
      navigate(`/apps/${encodeURIComponent(toApp)}?tab=subscriptions`);
    } catch (err) {
      setError(err instanceof ApiError && err.status === 409 ? `${messageOf(err)} Cancel the application’s current subscription to this product first.` : messageOf(err));
      setBusy(false);
    }
  };
  const submit = (e: FormEvent) => {
    e.preventDefault();
    void subscribe(appId);
  };

  return (
    <div className="container section apps subscribe">
      <p className="breadcrumb"><Link href="/catalog">Catalog</Link> <span aria-hidden="true">/</span></p>
      <h1 className="wrap">Subscribe to {p.title || p.name}</h1>
      {p.description ? <p className="wrap">{p.description}</p> : null}
      {p.plans.length === 0 ? <p>This product has no plans to subscribe to yet.</p> : (
        <>
          <section className="card section" aria-labelledby="plan-heading">
            <h2 id="plan-heading">Plan</h2>
            {p.plans.length > 1 ? <SelectField label="Plan" value={planName} onChange={setPlanName} options={p.plans.map((x) => ({ value: x.name, label: x.title || x.name }))} /> : <p className="wrap"><strong>{plan?.title || plan?.name}</strong></p>}
            {plan?.description ? <p className="wrap">{plan.description}</p> : null}
            {plan ? <PlanTerms plan={plan} /> : null}
          </section>
          <section className="card section" aria-labelledby="app-heading">
            <h2 id="app-heading">Application</h2>
            <SelectField label="Application" value={appId} onChange={setAppId} options={[...apps.data.map((a) => ({ value: a.id, label: a.name })), { value: NEW, label: 'New application…' }]} hint="The application whose keys will call this API." />
            {appId === NEW
              ? <CreateAppForm team={team.id} submitLabel="Create the application and subscribe" onCreated={(a) => { apps.reload(); setAppId(a.id); void subscribe(a.id); }} />
              : (
                <form onSubmit={submit}>
                  {plan?.requires_approval ? <p className="notice notice-warning" role="note">This plan needs an administrator’s approval: the subscription is <strong>pending</strong> until then.</p> : null}
                  <Button type="submit" variant="primary" busy={busy} disabled={!plan}>Subscribe</Button>
                </form>
              )}
            {error ? <p className="error" role="alert">{error}</p> : null}
          </section>
        </>
      )}
    </div>
  );
}
