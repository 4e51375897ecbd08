// A small, honest reader of C/C++ headers for plain function prototypes at file scope (and
// inside `extern "C" { … }`): `int tiny_classify(const uint8_t features[256]);`. What it
// cannot wrap safely it lists with the reason instead of guessing: variadic functions,
// function-pointer parameters, unnamed array parameters, struct returns by value, anything
// in a class, struct, namespace or template, inline/static definitions, macros.

export interface CFunction {
  name: string;
  /** The return type as written (`const char *`, `void`). */
  returns: string;
  /** Each parameter as written, and its name; empty for `(void)` / `()`. */
  params: { text: string; name: string }[];
}

export interface Skipped {
  name: string;
  why: string;
}

export interface HeaderFunctions {
  functions: CFunction[];
  skipped: Skipped[];
}

export function readHeaderFunctions(text: string): HeaderFunctions {
  const out: HeaderFunctions = { functions: [], skipped: [] };
  for (const statement of fileScopeStatements(stripCommentsAndPreprocessor(text))) {
    const parsed = parsePrototype(statement);
    if (!parsed) continue;
    if ('why' in parsed) out.skipped.push(parsed);
    else out.functions.push(parsed);
  }
  return out;
}

function stripCommentsAndPreprocessor(text: string): string {
  const noComments = text.replace(/\/\*[\s\S]*?\*\//g, ' ').replace(/\/\/[^\n]*/g, '');
  // A directive runs to the end of its line, continued by a trailing backslash.
  return noComments.replace(/^[ \t]*#(?:[^\n]*\\\n)*[^\n]*/gm, '').replace(/"(?:[^"\\]|\\.)*"/g, (s) => (s === '"C"' ? s : '""'));
}

/** Statements (up to `;`) outside any braces other than `extern "C" {`; blocks named by what opened them are dropped whole. */
function fileScopeStatements(text: string): string[] {
  const statements: string[] = [];
  let current = '';
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (c === '{') {
      if (/extern\s+"C"\s*$/.test(current)) {
        current = '';
        i++;
        continue;
      }
      const end = matchingBrace(text, i);
      // A block: a function body, a class/struct/enum/namespace: its statement ends here.
      statements.push(`${current.trim()} {…}`);
      current = '';
      i = end + 1;
      if (text[i] === ';') i++;
      continue;
    }
    if (c === '}') {
      current = '';
      i++;
      continue;
    } // the end of an extern "C" block
    if (c === ';') {
      statements.push(current.trim());
      current = '';
      i++;
      continue;
    }
    current += c;
    i++;
  }
  return statements.filter(Boolean).map((s) => s.replace(/\s+/g, ' '));
}

function matchingBrace(text: string, open: number): number {
  let depth = 0;
  for (let i = open; i < text.length; i++) {
    if (text[i] === '{') depth++;
    else if (text[i] === '}' && --depth === 0) return i;
  }
  return text.length;
}

const IDENT = /^[A-Za-z_]\w*$/;

function parsePrototype(statement: string): CFunction | Skipped | undefined {
  const body = statement.endsWith('{…}');
  const text = body ? statement.slice(0, -3).trim() : statement;
  const type = /^(class|struct|namespace)\s+([A-Za-z_]\w*)/.exec(text);
  if (body && type && !text.includes('(')) {
    const name = type[2];
    return type[1] === 'namespace'
      ? { name, why: `functions inside namespace ${name} are not wrapped (only free functions at file scope)` }
      : { name, why: `a class: make its objects after a load with mm.create<${name}>(library, …)` };
  }
  const open = text.indexOf('(');
  if (open < 0) return undefined; // a variable, typedef or enum
  const head = text.slice(0, open).trim();
  const nameMatch = /([A-Za-z_]\w*)\s*$/.exec(head);
  if (!nameMatch) return undefined;
  const name = nameMatch[1];
  const returns = head.slice(0, nameMatch.index).trim();
  if (body && /^(class|struct|union|enum|namespace)\b/.test(head))
    return { name, why: `inside ${head.split(' ')[0]}: only free functions are wrapped` };
  if (/^typedef\b/.test(head) || returns === '') return undefined;
  if (/\btemplate\b/.test(head)) return { name, why: 'a template' };
  if (body) return { name, why: 'defined in the header (inline): it is compiled into the caller, not the library' };
  if (/\b(static|inline|constexpr)\b/.test(returns)) return { name, why: 'static or inline: not a function of the library' };
  const close = matchingParen(text, open);
  if (
    close < 0 ||
    text
      .slice(close + 1)
      .trim()
      .replace(/\b(const|noexcept|throw\s*\(\s*\))\b/g, '')
      .trim() !== ''
  ) {
    return { name, why: 'not a plain prototype (function pointer, attribute or C++ qualifier after the parameters)' };
  }
  if (/\b(struct|union)\s+\w+\s*$/.test(returns) && !returns.includes('*'))
    return { name, why: 'returns a struct by value: there is no fallback value to return when the load fails' };
  const params = parameters(text.slice(open + 1, close));
  if ('why' in params) return { name, why: params.why };
  return { name, returns: returns.replace(/^extern\s+("C"\s+)?/, '').trim(), params };
}

function matchingParen(text: string, open: number): number {
  let depth = 0;
  for (let i = open; i < text.length; i++) {
    if (text[i] === '(') depth++;
    else if (text[i] === ')' && --depth === 0) return i;
  }
  return -1;
}

function parameters(list: string): CFunction['params'] | { why: string } {
  const trimmed = list.trim();
  if (trimmed === '' || trimmed === 'void') return [];
  const out: CFunction['params'] = [];
  for (const raw of trimmed.split(',')) {
    const p = raw.trim();
    if (p === '...') return { why: 'variadic (...): the arguments cannot be passed on' };
    if (p.includes('(')) return { why: `a function-pointer parameter (${p})` };
    if (p.includes('=')) return { why: `a default argument (${p})` };
    const m = /([A-Za-z_]\w*)\s*((?:\[[^\]]*\])*)$/.exec(p);
    const name = m?.[1];
    const typeOnly =
      !m ||
      !IDENT.test(name!) ||
      p.slice(0, m.index).trim() === '' ||
      /^(const|volatile|unsigned|signed|int|char|short|long|float|double|bool|void|size_t|u?int\d+_t)$/.test(name!);
    if (typeOnly) return { why: `a parameter without a name (${p}): name it in the header` };
    out.push({ text: p, name: name! });
  }
  return out;
}
