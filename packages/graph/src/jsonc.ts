/**
 * JSON with comments and trailing commas (tsconfig.json, jsconfig.json), parsed by blanking the
 * comments and dropping trailing commas outside strings, then JSON.parse. Undefined when invalid.
 */
export function parseJsonc(text: string): unknown {
  const source = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  try {
    return JSON.parse(source);
  } catch {
    // fall through: comments or trailing commas
  }
  try {
    return JSON.parse(stripJsonc(source));
  } catch {
    return undefined;
  }
}

function stripJsonc(text: string): string {
  let out = '';
  let copyFrom = 0;
  let i = 0;
  const n = text.length;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === 34 /* " */) {
      i++;
      while (i < n && text.charCodeAt(i) !== 34) i += text.charCodeAt(i) === 92 ? 2 : 1;
      i++;
    } else if (c === 47 /* / */ && text.charCodeAt(i + 1) === 47) {
      out += text.slice(copyFrom, i);
      const nl = text.indexOf('\n', i);
      i = nl < 0 ? n : nl;
      copyFrom = i;
    } else if (c === 47 && text.charCodeAt(i + 1) === 42 /* * */) {
      out += text.slice(copyFrom, i);
      const end = text.indexOf('*/', i + 2);
      i = end < 0 ? n : end + 2;
      copyFrom = i;
      out += ' ';
    } else if (c === 44 /* , */) {
      let j = i + 1;
      for (;;) {
        while (j < n && /\s/.test(text[j] ?? '')) j++;
        if (text.charCodeAt(j) === 47 && text.charCodeAt(j + 1) === 47) {
          const nl = text.indexOf('\n', j);
          j = nl < 0 ? n : nl;
        } else if (text.charCodeAt(j) === 47 && text.charCodeAt(j + 1) === 42) {
          const end = text.indexOf('*/', j + 2);
          j = end < 0 ? n : end + 2;
        } else break;
      }
      const next = text.charCodeAt(j);
      if (next === 125 /* } */ || next === 93 /* ] */) {
        out += text.slice(copyFrom, i);
        copyFrom = i + 1;
      }
      i++;
    } else {
      i++;
    }
  }
  return out + text.slice(copyFrom);
}
