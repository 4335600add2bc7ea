/** Model-name canonicalisation and `*` pattern matching for price look-ups. */

// Bedrock cross-region and vendor prefixes (us.anthropic.claude-…, meta.llama…): a leading dotted part made
// of letters and dashes only. Model names' own dots always follow a digit (gpt-4.1, gemini-2.5, qwen2.5).
const DOT_PREFIX = /^[a-z][a-z-]*\./;
// Dated or versioned suffixes: -2024-08-06, -20241022, @20241022 (Vertex), -v1:0, :0, -latest.
const SUFFIXES = [/-\d{4}-\d{2}-\d{2}$/, /[-@]\d{8}$/, /-v\d+(:\d+)?$/, /:\d+$/, /-latest$/, /-preview$/];

/** Candidate names to look up, most specific first: as given, without provider path, without dated suffixes. */
export function modelCandidates(model: string): string[] {
  const out: string[] = [];
  const add = (s: string): void => {
    if (s !== '' && !out.includes(s)) out.push(s);
  };
  let name = model.trim().toLowerCase();
  add(name);
  // openai/gpt-4o, models/gemini-2.5-pro, accounts/fireworks/models/llama-v3p1-70b: the last path part names the model.
  const slash = name.lastIndexOf('/');
  if (slash >= 0) name = name.slice(slash + 1);
  while (DOT_PREFIX.test(name)) name = name.replace(DOT_PREFIX, '');
  add(name);
  let changed = true;
  while (changed) {
    changed = false;
    for (const re of SUFFIXES) {
      const next = name.replace(re, '');
      if (next !== name) {
        name = next;
        add(name);
        changed = true;
      }
    }
  }
  return out;
}

/** Case-insensitive match of `name` against a pattern where `*` matches any run of characters. */
export function matchesPattern(name: string, pattern: string): boolean {
  const re = new RegExp(`^${pattern.toLowerCase().split('*').map(escapeRe).join('.*')}$`);
  return re.test(name);
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
