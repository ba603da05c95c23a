import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

// A rule left open (a lost "}") does not fail the build: the browser nests
// every rule after it inside, and they silently stop applying. Each
// stylesheet must close every block it opens.
function unclosed(css: string): number[] {
  const text = css.replace(/\/\*[\s\S]*?\*\//g, (c) => c.replace(/[^\n]/g, ' '));
  const open: number[] = [];
  let line = 1;
  for (const ch of text) {
    if (ch === '\n') line++;
    else if (ch === '{') open.push(line);
    else if (ch === '}' && open.pop() === undefined) return [-line];
  }
  return open;
}

describe('stylesheets', () => {
  for (const file of ['styles.css', 'pages/admin/admin.css']) {
    it(`${file} closes every block it opens`, () => {
      // Vitest runs in web/.
      const css = readFileSync(join(process.cwd(), 'src', file), 'utf8');
      expect(unclosed(css), 'lines of blocks left open (negative: a } with no {)').toEqual([]);
    });
  }
  it('finds a block left open', () => {
    expect(unclosed('.a {\n  color: red;\n\n.b {\n  color: blue;\n}\n')).toEqual([1]);
  });
});
