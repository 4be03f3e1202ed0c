/**
 * Fenced code blocks of the docs and their markers:
 *
 *   <!-- include: examples/plugin-try-it.ts -->
 *   ```ts
 *   ...exactly the file docs/examples/plugin-try-it.ts...
 *   ```
 *
 * `<!-- fragment -->` instead marks a block that is deliberately not a whole
 * file (kept rare: a signature or a shape, never code a reader would run).
 */
export type Marker = { kind: 'include'; path: string } | { kind: 'fragment' } | null;

export interface CodeBlock {
  /** The fence's info string's first word, e.g. "ts", "json", "text", "sh", "" for none. */
  lang: string;
  /** The block's lines joined with "\n", without a trailing newline. */
  content: string;
  /** 0-based line index of the opening fence. */
  open: number;
  /** 0-based line index of the closing fence. */
  close: number;
  marker: Marker;
}

/** Languages whose blocks must be an included file (or marked as a fragment). */
export const CHECKED_LANGS: ReadonlySet<string> = new Set(['ts', 'typescript', 'js', 'javascript', 'mjs', 'json', 'jsonc', 'text']);

const INCLUDE = /^<!--\s*include:\s*(\S+)\s*-->$/;
const FRAGMENT = /^<!--\s*fragment\s*-->$/;

export function parseBlocks(markdown: string): CodeBlock[] {
  const lines = markdown.split('\n');
  const blocks: CodeBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    const fence = /^(`{3,})(.*)$/.exec(lines[i] as string);
    if (!fence) continue;
    const ticks = fence[1] as string;
    const lang = (fence[2] as string).trim().split(/\s+/)[0] ?? '';
    let close = i + 1;
    while (close < lines.length && (lines[close] as string).trimEnd() !== ticks) close++;
    if (close >= lines.length) throw new Error(`Unclosed code fence at line ${i + 1}`);
    let previous = i - 1;
    while (previous >= 0 && (lines[previous] as string).trim() === '') previous--;
    const before = previous >= 0 ? (lines[previous] as string).trim() : '';
    const include = INCLUDE.exec(before);
    const marker: Marker = include ? { kind: 'include', path: include[1] as string } : FRAGMENT.test(before) ? { kind: 'fragment' } : null;
    blocks.push({ lang, content: lines.slice(i + 1, close).join('\n'), open: i, close, marker });
    i = close;
  }
  return blocks;
}

/** Rewrites every included block with the current content of its file. */
export function syncIncludes(markdown: string, read: (path: string) => string): string {
  const lines = markdown.split('\n');
  const blocks = parseBlocks(markdown);
  for (const block of [...blocks].reverse()) {
    if (block.marker?.kind !== 'include') continue;
    const content = read(block.marker.path).replace(/\n$/, '');
    lines.splice(block.open + 1, block.close - block.open - 1, ...content.split('\n'));
  }
  return lines.join('\n');
}

/** Rows of every Markdown table: the cells of each line that starts with "|", header and separator rows excluded. */
export function tableRows(markdown: string): string[][] {
  const rows: string[][] = [];
  const lines = markdown.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = (lines[i] as string).trim();
    if (!line.startsWith('|')) continue;
    const next = (lines[i + 1] ?? '').trim();
    if (/^\|[\s:|-]+\|$/.test(line)) continue; // separator
    if (/^\|[\s:|-]+\|$/.test(next)) continue; // header
    rows.push(
      line
        .slice(1, line.endsWith('|') ? -1 : undefined)
        .split(/(?<!\\)\|/)
        .map((cell) => cell.trim()),
    );
  }
  return rows;
}

/** The code spans of a cell: "`a` or `b`" -> ["a", "b"]. */
export function codeSpans(cell: string): string[] {
  return [...cell.matchAll(/`([^`]+)`/g)].map((m) => m[1] as string);
}
