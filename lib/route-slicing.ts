/**
 * Source transforms `lib/bundling.ts` applies to a staged copy of
 * `functions/` before esbuild bundles one handler, so that the function
 * builds only its own route's schemas at init (issue 20: building the whole
 * route table and every zod schema in each of ~60 functions cost ≈ 0.08 × the
 * baseline init, about a fifth of a function's module init).
 *
 * Three steps, all plain text rewrites that esbuild's tree shaking then acts on:
 *
 * 1. `annotatePure`: every zod factory call (`z.object(…)`), schema method
 *    chain on a named schema (`User.extend(…)`, `s.Chat.omit(…)`) and call
 *    of the route table's helpers (`page(…)`, `one(…)`, `ackOf(…)`) gets a
 *    `/* @__PURE__ *\/` annotation. Building a zod schema has no side effect
 *    outside the schema, so an unused schema is dropped with everything it
 *    would have built. Only call sites matching these shapes are annotated;
 *    statements inside callbacks (`ctx.addIssue(…)`) never are.
 * 2. `splitRouteTable`: each element of `httpRoutes` and `wsRoutes` becomes a
 *    named constant (`__http_SendMessage`, `__ws_$connect`) and the arrays list
 *    those constants, so the table's meaning is unchanged where it is used
 *    whole (the docs routes, `api-gateway.ts`).
 * 3. `staticRouteLookups`: in every other file, `httpRoute('SendMessage')`
 *    becomes a reference to `__http_SendMessage` (and `wsRoute('$connect')` to
 *    `__ws_$connect`), imported from the same module, so a handler no longer
 *    reaches the arrays and esbuild drops the other routes.
 *
 * The source files themselves are never changed; a route name that does not
 * exist fails the build (esbuild: no such export), as `httpRoute()` throws
 * at import. `test/unit/route-slicing.test.ts` checks each step, and that a
 * bundle of one route does not contain another route's schemas.
 */

/** Marks the text esbuild reads as "this call has no side effects; drop it when its value is unused". */
const PURE = '/* @__PURE__ */ ';

/** A top-level `const` (exported or not, with or without a type annotation), up to its `=`. */
const TOP_LEVEL_CONST = /^(?:export )?const [$\w]+(?:: [^=\n]+)? = /gm;

/**
 * Wraps the initializer of every top-level `const` in an arrow function called at once and annotated pure, so
 * esbuild drops a constant nobody uses together with everything its initializer builds. (Annotating the calls
 * alone is not enough: esbuild keeps `ServerEvents['message.new']` or `[...RW]` in case they have side effects.)
 * For the schema and route-table modules only, whose top-level constants build values and do nothing else.
 */
export function annotatePure(source: string): string {
  let out = '';
  let last = 0;
  for (const match of source.matchAll(TOP_LEVEL_CONST)) {
    const from = match.index + match[0].length;
    if (from < last) continue;
    const to = statementEnd(source, from);
    out += `${source.slice(last, from)}${PURE}(() => (${source.slice(from, to)}))()`;
    last = to;
  }
  return out + source.slice(last);
}

/** Index of the `;` ending the statement whose expression starts at `from`. */
function statementEnd(source: string, from: number): number {
  let depth = 0;
  return scan(source, from, (c) => {
    if (c === '[' || c === '{' || c === '(') depth++;
    else if (c === ']' || c === '}' || c === ')') depth--;
    return depth === 0 && c === ';';
  });
}

/**
 * Index just past the bracket that closes the one at `open` (`[`, `{` or `(`).
 */
function closing(source: string, open: number): number {
  let depth = 0;
  return (
    scan(source, open, (c) => {
      if (c === '[' || c === '{' || c === '(') depth++;
      else if (c === ']' || c === '}' || c === ')') depth--;
      return depth === 0;
    }) + 1
  );
}

/**
 * The index of the first code character from `from` on for which `stop` answers true, skipping strings, template
 * literals (with `${…}` inside) and comments. The transformed modules have no regular expression literal with a
 * bracket or quote in a place this scans (the schemas' regexes contain neither quotes nor unbalanced brackets in a
 * way that matters: brackets inside `[...]` character classes balance).
 */
function scan(source: string, from: number, stop: (c: string) => boolean): number {
  for (let i = from; i < source.length; i++) {
    const c = source[i]!;
    if (c === '/' && source[i + 1] === '/') i = source.indexOf('\n', i);
    else if (c === '/' && source[i + 1] === '*') i = source.indexOf('*/', i) + 1;
    else if (c === "'" || c === '"') {
      for (i++; source[i] !== c; i++) if (source[i] === '\\') i++;
    } else if (c === '`') {
      for (i++; source[i] !== '`'; i++) {
        if (source[i] === '\\') i++;
        else if (source[i] === '$' && source[i + 1] === '{') i = closing(source, i + 1) - 1;
      }
    } else if (stop(c)) return i;
    if (i < 0) break;
  }
  throw new Error(`unterminated expression from ${from}`);
}

/** The route arrays `splitRouteTable` splits, with the key each element is named by. */
const TABLES = [
  { array: 'httpRoutes', key: 'name', prefix: '__http_' },
  { array: 'wsRoutes', key: 'routeKey', prefix: '__ws_' },
] as const;

/** The constant a route's element becomes: `$connect` and `SendMessage` are valid identifier characters as they are. */
export function routeConstant(prefix: '__http_' | '__ws_', key: string): string {
  if (!/^[$\w]+$/.test(key)) throw new Error(`route key ${key} is not an identifier`);
  return `${prefix}${key}`;
}

/** Turns each element of `httpRoutes` and `wsRoutes` into a named constant the arrays then list (see the module doc). */
export function splitRouteTable(source: string): string {
  let out = source;
  for (const table of TABLES) {
    const declaration = `export const ${table.array} = [`;
    const start = out.indexOf(declaration);
    if (start < 0) throw new Error(`no ${declaration} in the route table`);
    const open = start + declaration.length - 1;
    const end = closing(out, open);
    const constants: string[] = [];
    const names: string[] = [];
    let i = open + 1;
    while (i < end - 1) {
      const brace = out.indexOf('{', i);
      if (brace < 0 || brace >= end - 1) break;
      const after = closing(out, brace);
      const element = out.slice(brace, after);
      const key = new RegExp(`\\n {4}${table.key}: '([^']+)'`).exec(element)?.[1];
      if (!key) throw new Error(`an element of ${table.array} has no ${table.key}`);
      const name = routeConstant(table.prefix, key);
      // The element in a pure arrow: esbuild cannot tell that `[...RW, 'ws:manage']` has no side effects.
      constants.push(`export const ${name} = ${PURE}(() => (${element}) as const)();`);
      names.push(name);
      i = after;
    }
    out = `${out.slice(0, start)}${constants.join('\n')}\n${declaration}${names.join(', ')}${out.slice(end - 1)}`;
  }
  return out;
}

/** `httpRoute('X')` / `wsRoute('x')` with a literal argument, in a file that imports the function. */
const LOOKUPS = [
  { fn: 'httpRoute', prefix: '__http_' },
  { fn: 'wsRoute', prefix: '__ws_' },
] as const;

/** Replaces literal `httpRoute('X')` / `wsRoute('x')` lookups with the route's constant, imported from the same module. */
export function staticRouteLookups(source: string): string {
  let out = source;
  for (const { fn, prefix } of LOOKUPS) {
    const from = new RegExp(`import\\s*\\{[^}]*\\b${fn}\\b[^}]*\\}\\s*from\\s*'([^']+)'`).exec(out)?.[1];
    if (!from) continue;
    const used = new Set<string>();
    out = out.replace(new RegExp(`\\b${fn}\\('([$\\w]+)'\\)`, 'g'), (_m, key: string) => {
      const name = routeConstant(prefix, key);
      used.add(name);
      return name;
    });
    if (used.size) out += `\nimport { ${[...used].join(', ')} } from '${from}';\n`;
  }
  return out;
}
