// Watches the config file for changes. Editors often replace files (write + rename), so the
// directory is watched and events are filtered by name and debounced.
import { watch, type FSWatcher } from 'node:fs';
import { basename, dirname } from 'node:path';

export function watchConfigFile(file: string, onChange: () => void, debounceMs = 150): () => void {
  const name = basename(file);
  let timer: NodeJS.Timeout | undefined;
  let watcher: FSWatcher | undefined;
  try {
    watcher = watch(dirname(file), { persistent: false }, (_event, changed) => {
      if (changed !== null && changed !== name) return;
      if (timer) clearTimeout(timer);
      timer = setTimeout(onChange, debounceMs);
    });
  } catch {
    return () => undefined; // no inotify (or the directory vanished): SIGHUP still reloads
  }
  return () => {
    if (timer) clearTimeout(timer);
    watcher?.close();
  };
}
