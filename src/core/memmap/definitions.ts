// The line of a C/C++ source file where a function or variable of the link is defined, so
// that a symbol row of the memory map opens its source at that line.
//
// Why from the source and not from the debug info: the line is read from DWARF only where
// the ELF has it, and our ELF reader reads no DWARF (PlatformIO's release builds of the
// example carry none either). So this reads the object's own source file (found by
// src/extension/sources.ts) and looks for the definition the way a reader would:
//  - the symbol's name is read from its mangled form (Itanium C++ ABI: `_ZN10Classifier8classifyEPKh`
//    → `classify` in `Classifier`; `_ZL5frame` → `frame`; a C name as it is);
//  - the source is scanned with comments, strings, character literals and preprocessor
//    lines skipped, braces tracked as namespace, class or block;
//  - a function is defined where its name is followed by `(`, then after the matching `)` by
//    a body `{` (a `;` is a declaration), at namespace scope (`Class::name` for a member) or
//    inside its class; a variable where its name appears at namespace (or class) scope in a
//    statement without `extern`.
// Limits (the view then shows no link, never a guessed one): names made by macros, template
// instances, lambdas and function-local statics, inline functions defined in headers (not in
// the object's source file), and overloads (the first definition of the name is taken).

export interface SymbolName {
  /** The unqualified name (`classify`; `Classifier` for a constructor, `~Classifier` for a destructor). */
  name: string;
  /** The enclosing class or namespace names, outermost first (anonymous namespaces left out). */
  scope: string[];
}

/** The name and scope of a linker symbol, or undefined for one this reader cannot name (templates, local names). */
export function symbolName(symbol: string): SymbolName | undefined {
  // GCC's clones keep the original's name before a suffix: `f.constprop.0`, `g$isra$0`, `h.part.1`, `k.cold`
  const linkName = symbol.replace(/[.$](?:constprop|isra|part|cold|lto_priv|localalias)(?:[.$]\w+)*$/, '');
  if (!linkName.startsWith('_Z')) return /^[A-Za-z_]\w*$/.test(linkName) ? { name: linkName, scope: [] } : undefined;
  let p = 2;
  const s = linkName;
  if (s[p] === 'L') p++;
  const readId = (): string | undefined => {
    const m = /^\d+/.exec(s.slice(p));
    if (!m) return undefined;
    p += m[0].length;
    const id = s.slice(p, p + Number(m[0]));
    p += Number(m[0]);
    return id.length === Number(m[0]) ? id : undefined;
  };
  if (s[p] !== 'N') {
    const id = readId();
    return id && s[p] !== 'I' ? { name: id, scope: [] } : undefined;
  }
  p++;
  while ('rVKRO'.includes(s[p] ?? '')) p++;
  const parts: string[] = [];
  if (s.startsWith('St', p)) {
    parts.push('std');
    p += 2;
  }
  while (p < s.length && s[p] !== 'E') {
    if (s[p] === 'C' && /[1-5]/.test(s[p + 1] ?? '')) {
      parts.push(parts.at(-1) ?? '');
      p += 2;
      continue;
    }
    if (s[p] === 'D' && /[0-5]/.test(s[p + 1] ?? '')) {
      parts.push(`~${parts.at(-1) ?? ''}`);
      p += 2;
      continue;
    }
    if (s[p] === 'L') {
      p++;
      continue;
    } // internal linkage inside a nested name (`_ZN12_GLOBAL__N_1L3kW1E`)
    const id = readId();
    if (!id || s[p] === 'I') return undefined; // a template or something this reader does not know
    parts.push(id);
  }
  if (s[p] !== 'E' || parts.length === 0) return undefined;
  const scope = parts.slice(0, -1).filter((x) => !x.startsWith('_GLOBAL__N'));
  return { name: parts.at(-1)!, scope };
}

type Token = { text: string; line: number };

/** Identifiers and punctuation of C/C++ source, with comments, literals and preprocessor lines dropped. */
function tokens(src: string): Token[] {
  const out: Token[] = [];
  let line = 1;
  let lineStart = true;
  for (let i = 0; i < src.length;) {
    const c = src[i];
    if (c === '\n') {
      line++;
      i++;
      lineStart = true;
      continue;
    }
    if (c === ' ' || c === '\t' || c === '\r' || c === '\f' || c === '\v') {
      i++;
      continue;
    }
    if (lineStart && c === '#') {
      // a directive runs to the end of the line, continued lines included
      while (i < src.length && src[i] !== '\n') {
        if (src[i] === '\\' && src[i + 1] === '\n') {
          line++;
          i++;
        }
        i++;
      }
      continue;
    }
    lineStart = false;
    if (c === '/' && src[i + 1] === '/') {
      while (i < src.length && src[i] !== '\n') i++;
      continue;
    }
    if (c === '/' && src[i + 1] === '*') {
      i += 2;
      while (i < src.length && !(src[i] === '*' && src[i + 1] === '/')) {
        if (src[i] === '\n') line++;
        i++;
      }
      i += 2;
      continue;
    }
    if (c === '"' || c === "'") {
      const raw = c === '"' && /R$/.test(src.slice(Math.max(0, i - 1), i)) ? /^"([^(\s]*)\(/.exec(src.slice(i)) : null;
      if (raw) {
        const end = src.indexOf(`)${raw[1]}"`, i);
        const stop = end < 0 ? src.length : end + raw[1].length + 2;
        for (let k = i; k < stop; k++) if (src[k] === '\n') line++;
        i = stop;
      } else {
        i++;
        while (i < src.length && src[i] !== c && src[i] !== '\n') i += src[i] === '\\' ? 2 : 1;
        i++;
      }
      out.push({ text: '""', line });
      continue;
    }
    const id = /^[A-Za-z_]\w*/.exec(src.slice(i, i + 256));
    if (id) {
      out.push({ text: id[0], line });
      i += id[0].length;
      continue;
    }
    if (c === ':' && src[i + 1] === ':') {
      out.push({ text: '::', line });
      i += 2;
      continue;
    }
    if (c === '-' && src[i + 1] === '>') {
      out.push({ text: '->', line });
      i += 2;
      continue;
    }
    out.push({ text: c, line });
    i++;
  }
  return out;
}

type Scope = { kind: 'namespace' | 'class' | 'block'; name?: string };

const CLASS_KEYS = new Set(['class', 'struct', 'union']);

/** What a `{` opens, from the tokens of its statement so far. */
function opened(statement: string[]): Scope {
  const ns = statement.indexOf('namespace');
  if (ns >= 0) return { kind: 'namespace', name: /^[A-Za-z_]\w*$/.test(statement[ns + 1] ?? '') ? statement[ns + 1] : undefined };
  if (statement[0] === 'extern' && statement[1] === '""') return { kind: 'namespace' };
  if (statement.includes('(') || statement.includes('=')) return { kind: 'block' };
  const key = statement.findIndex((t) => CLASS_KEYS.has(t));
  if (key >= 0) {
    // `struct Name`, `class __attribute__((x)) Name : Base`, `template <…> struct Name`: the last identifier before `:` or the end
    const head = statement
      .slice(key + 1, statement.includes(':') ? statement.indexOf(':') : undefined)
      .filter((t) => /^[A-Za-z_]\w*$/.test(t) && t !== 'final');
    return { kind: 'class', name: head.at(-1) };
  }
  return { kind: 'block' };
}

/** Index of the token after the `)` that matches the `(` at `open`. */
function afterParens(toks: Token[], open: number): number {
  let depth = 0;
  for (let i = open; i < toks.length; i++) {
    if (toks[i].text === '(') depth++;
    else if (toks[i].text === ')' && --depth === 0) return i + 1;
  }
  return toks.length;
}

/** A function's declarator is followed by its body: `{`, after qualifiers, attributes, a trailing return type or a constructor's initialisers. */
function hasBody(toks: Token[], from: number): boolean {
  for (let i = from; i < toks.length; i++) {
    const t = toks[i].text;
    if (t === '{') return true;
    if (t === ';' || t === '}' || t === '=') return false; // a declaration (or `= default`, which has no body here)
    if (t === '(') i = afterParens(toks, i) - 1;
  }
  return false;
}

/**
 * The 1-based line of `source` that defines `symbol` (a linker name, mangled or not), or
 * undefined when it is not defined there in a way this reader recognises (see the file's head).
 */
export function definitionLine(source: string, symbol: string, kind: 'function' | 'variable'): number | undefined {
  const want = symbolName(symbol);
  if (!want) return undefined;
  const toks = tokens(source);
  const scopes: Scope[] = [];
  let statement: string[] = [];
  let inClass: number | undefined; // a definition inside its class body, used only when none is found outside
  const owner = want.scope.at(-1);
  for (let i = 0; i < toks.length; i++) {
    const t = toks[i].text;
    if (t === '{') {
      scopes.push(opened(statement));
      statement = [];
      continue;
    }
    if (t === '}') {
      scopes.pop();
      statement = [];
      continue;
    }
    if (t === ';') {
      statement = [];
      continue;
    }
    statement.push(t);
    if (t !== want.name || scopes.some((s) => s.kind === 'block')) continue;
    const before = toks[i - 1]?.text;
    const qualifier = before === '::' ? toks[i - 2]?.text : undefined;
    if (before === '.' || before === '->') continue;
    if (before === '~' && !want.name.startsWith('~')) continue;
    const here = scopes.at(-1);
    const inOwner = here?.kind === 'class' && here.name === owner;
    if (owner) {
      // a member: `Owner::name` outside its class, or in the class body; a namespace's name inside `namespace Owner {`
      if (qualifier !== owner && !inOwner && !(here?.kind === 'namespace' && here.name === owner && qualifier === undefined)) continue;
    } else if (here?.kind === 'class' || qualifier !== undefined) {
      continue;
    }
    const next = toks[i + 1]?.text;
    if (kind === 'function') {
      if (next !== '(' || !hasBody(toks, afterParens(toks, i + 1))) continue;
    } else if (
      statement.includes('extern') ||
      statement.includes('typedef') ||
      statement.includes('using') ||
      !['=', ';', '[', '(', '{', ','].includes(next ?? '')
    ) {
      continue;
    }
    if (inOwner) {
      inClass ??= toks[i].line;
      continue;
    }
    return toks[i].line;
  }
  return inClass;
}
