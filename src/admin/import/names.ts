// Names and tags made from free text (titles, operationIds, paths, OpenAPI tags), valid for the
// config schema: names `^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$`, tags `^[A-Za-z0-9][A-Za-z0-9._:/=-]{0,63}$`.
import { NAME_PATTERN } from '../../core/entities/schemas.ts';

export const MAX_NAME = 128;
const MAX_TAG = 64;
export const MAX_TAGS = 32;
const NAME = new RegExp(NAME_PATTERN);
const TAG = /^[A-Za-z0-9][A-Za-z0-9._:/=-]{0,63}$/;

export const isValidName = (name: string) => NAME.test(name);
export const isValidTag = (tag: string) => TAG.test(tag);

/** "getHTTPStatus" → "get-http-status", "Portcullis Carrier (demo)" → "portcullis-carrier-demo". */
export function kebab(text: string): string {
  return text
    .normalize('NFKD').replace(/[\u0300-\u036f]/g, '') // "Café" → "Cafe"
    .replace(/([a-z0-9])([A-Z])/g, '$1-$2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1-$2')
    .toLowerCase()
    .replace(/[^a-z0-9.]+/g, '-')
    .replace(/-*\.[-.]*/g, '.')
    .replace(/^[^a-z0-9]+|[^a-z0-9]+$/g, '');
}

export function truncate(text: string, max: number): string {
  return text.length <= max ? text : text.slice(0, max).replace(/[^A-Za-z0-9]+$/, '');
}

/** An OpenAPI tag as a Portcullis tag ("Shipping Labels" → "shipping-labels"); "" if nothing is left. */
export function tagSlug(tag: string): string {
  const slug = tag
    .normalize('NFKD').replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9._:/=-]+/g, '-')
    .replace(/-{2,}/g, '-')
    .replace(/^[^a-z0-9]+/, '');
  return truncate(slug, MAX_TAG);
}

/** Hands out names unique among themselves: "x", then "x-2", "x-3"… always within 128 characters. */
export class UniqueNames {
  readonly #taken = new Set<string>();

  take(base: string): string {
    let name = truncate(base, MAX_NAME);
    for (let n = 2; this.#taken.has(name); n++) {
      const suffix = `-${n}`;
      name = `${truncate(base, MAX_NAME - suffix.length)}${suffix}`;
    }
    this.#taken.add(name);
    return name;
  }
}
