/**
 * Finds where a JSON text stops being valid. V8's JSON.parse messages name the offending token but not
 * always its offset, and a client needs the offset to fix its encoder. Runs only after JSON.parse failed.
 */

const WS = new Set([0x20, 0x09, 0x0a, 0x0d]);
const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
// JSON forbids raw control characters inside strings, so the class must name them.
// eslint-disable-next-line no-control-regex
const STRING = /"(?:[^"\\\u0000-\u001f]|\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4}))*"/y;

/** The character offset of the first syntax error in `text`, or -1 when it is valid JSON. */
export function jsonErrorPosition(text: string): number {
  let i = 0;
  const n = text.length;
  // Each stack entry is the container being filled: '[' or '{'.
  const stack: string[] = [];
  const skipWs = () => {
    while (i < n && WS.has(text.charCodeAt(i))) i++;
  };
  const match = (re: RegExp): boolean => {
    re.lastIndex = i;
    if (!re.test(text)) return false;
    i = re.lastIndex;
    return true;
  };
  const value = (): boolean => {
    skipWs();
    const c = text[i];
    if (c === '{' || c === '[') {
      stack.push(c);
      i++;
      skipWs();
      if (text[i] === (c === '{' ? '}' : ']')) {
        stack.pop();
        i++;
        return true;
      }
      return c === '[' ? value() : member();
    }
    if (c === '"') return match(STRING);
    if (text.startsWith('true', i)) return ((i += 4), true);
    if (text.startsWith('false', i)) return ((i += 5), true);
    if (text.startsWith('null', i)) return ((i += 4), true);
    return match(NUMBER);
  };
  const member = (): boolean => {
    skipWs();
    if (!match(STRING)) return false;
    skipWs();
    if (text[i] !== ':') return false;
    i++;
    return value();
  };
  if (!value()) return i;
  for (;;) {
    skipWs();
    const top = stack[stack.length - 1];
    if (top === undefined) return i === n ? -1 : i;
    const c = text[i];
    if (c === ',') {
      i++;
      if (!(top === '[' ? value() : member())) return i;
    } else if (c === (top === '[' ? ']' : '}')) {
      stack.pop();
      i++;
    } else {
      return i;
    }
  }
}
