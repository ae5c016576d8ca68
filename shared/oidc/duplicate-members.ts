/**
 * The first member name that appears twice in one object of a JSON text, at any depth, compared
 * after unescaping (`"a"` and `"\u0061"` are one name); `undefined` when there is none. The text
 * must already be valid JSON (JSON.parse it first): this only scans its structure.
 *
 * RFC 7519 §4 lets a JWT parser either refuse duplicate claim names or keep the lexically last
 * (what JSON.parse does). fedgate refuses them: with last-wins, an ID token carrying
 * `"employeeType":"contractor", …, "employeeType":"employee"` would be read as an employee,
 * escaping a deny on the value the token also states, and two parsers could disagree on it.
 * @example findDuplicateMember('{"a":1,"b":{"c":2,"c":3}}') // 'c'
 */
export const findDuplicateMember = (json: string): string | undefined => {
  /** One entry per open container: the names seen (objects) or `null` (arrays). */
  const open: (Set<string> | null)[] = [];
  let expectName = false;
  for (let i = 0; i < json.length; i++) {
    const ch = json[i];
    if (ch === '"') {
      let end = i + 1;
      while (end < json.length && json[end] !== '"') end += json[end] === '\\' ? 2 : 1;
      const names = open[open.length - 1];
      if (expectName && names) {
        const name = JSON.parse(json.slice(i, end + 1)) as string;
        if (names.has(name)) return name;
        names.add(name);
        expectName = false;
      }
      i = end;
    } else if (ch === '{') {
      open.push(new Set());
      expectName = true;
    } else if (ch === '[') {
      open.push(null);
      expectName = false;
    } else if (ch === '}' || ch === ']') {
      open.pop();
      expectName = false;
    } else if (ch === ',') {
      expectName = (open[open.length - 1] ?? null) !== null;
    }
  }
  return undefined;
};
