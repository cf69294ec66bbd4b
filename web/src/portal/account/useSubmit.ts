// One submission at a time, with its problems: `run` clears the old ones, awaits the work, and
// turns a failure into field messages and a summary (problems.ts).
import { useCallback, useState } from 'react';
import { formProblems, NO_PROBLEMS, type FormProblems } from './problems.ts';

export function useSubmit(fields: readonly string[]) {
  const [busy, setBusy] = useState(false);
  const [problems, setProblems] = useState<FormProblems>(NO_PROBLEMS);
  const key = fields.join(',');
  const run = useCallback(async (work: () => Promise<void>) => {
    setBusy(true);
    setProblems(NO_PROBLEMS);
    try {
      await work();
    } catch (err) {
      setProblems(formProblems(err, key.split(',')));
    } finally {
      setBusy(false);
    }
  }, [key]);
  return { busy, problems, setProblems, run };
}
