// Handlebars templates from templates/, compiled once.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Handlebars from 'handlebars';
import { TEMPLATES_DIR } from '../paths.js';

const hbs = Handlebars.create();
hbs.registerHelper('eq', (a: unknown, b: unknown) => a === b);
hbs.registerPartial('authCheck', readFileSync(join(TEMPLATES_DIR, 'haproxy-auth-check.hbs'), 'utf8'));

const cache = new Map<string, Handlebars.TemplateDelegate>();

/** Renders templates/<name> with `context`. Output is plain text (no HTML escaping). */
export function renderTemplate(name: string, context: object): string {
  let template = cache.get(name);
  if (!template) {
    template = hbs.compile(readFileSync(join(TEMPLATES_DIR, name), 'utf8'), { noEscape: true, strict: true });
    cache.set(name, template);
  }
  return template(context);
}

/** A file from templates/ copied as it is (the container scripts). */
export function readStatic(name: string): string {
  return readFileSync(join(TEMPLATES_DIR, name), 'utf8');
}
