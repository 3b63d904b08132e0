// A deliberately small, strict XML reader for the tests: it accepts the subset a chart emits
// (elements, attributes, text, entities) and throws on anything not well-formed, so a chart
// that leaks a raw "<" or "&", or leaves a tag open, fails here.
export interface XmlElement {
  readonly name: string;
  readonly attributes: Record<string, string>;
  readonly children: XmlElement[];
  text: string;
}

const NAME = /^[A-Za-z_][\w.:-]*/;
const ENTITY = /&(?:amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+);/y;

function decode(raw: string, where: string): string {
  let out = "";
  for (let i = 0; i < raw.length; i++) {
    if (raw[i] !== "&") {
      out += raw[i];
      continue;
    }
    ENTITY.lastIndex = i;
    const m = ENTITY.exec(raw);
    if (!m) throw new Error(`bare '&' in ${where}: ${JSON.stringify(raw.slice(i, i + 12))}`);
    const e = m[0];
    out += e === "&amp;" ? "&" : e === "&lt;" ? "<" : e === "&gt;" ? ">" : e === "&quot;" ? '"' : e === "&apos;" ? "'" : String.fromCodePoint(Number(e.startsWith("&#x") ? `0x${e.slice(3, -1)}` : e.slice(2, -1)));
    i += e.length - 1;
  }
  return out;
}

export function parseXml(source: string): XmlElement {
  let i = 0;
  const stack: XmlElement[] = [];
  let root: XmlElement | undefined;
  while (i < source.length) {
    if (source[i] !== "<") {
      const end = source.indexOf("<", i);
      const raw = source.slice(i, end < 0 ? source.length : end);
      const top = stack.at(-1);
      if (!top) {
        if (raw.trim()) throw new Error(`text outside the root element: ${JSON.stringify(raw.slice(0, 20))}`);
      } else top.text += decode(raw, `text of <${top.name}>`);
      i += raw.length;
      continue;
    }
    if (source.startsWith("</", i)) {
      const end = source.indexOf(">", i);
      const name = source.slice(i + 2, end).trim();
      const open = stack.pop();
      if (!open || open.name !== name) throw new Error(`</${name}> closes <${open?.name ?? "nothing"}>`);
      if (stack.length === 0) root = open;
      i = end + 1;
      continue;
    }
    if (root) throw new Error("a second root element");
    i += 1;
    const name = NAME.exec(source.slice(i))?.[0];
    if (!name) throw new Error(`bad tag name at ${i}`);
    i += name.length;
    const element: XmlElement = { name, attributes: {}, children: [], text: "" };
    for (;;) {
      const space = /^\s*/.exec(source.slice(i))![0].length;
      i += space;
      if (source.startsWith("/>", i) || source[i] === ">") break;
      if (space === 0) throw new Error(`<${name}>: attributes must be separated by whitespace`);
      const attr = /^([A-Za-z_][\w.:-]*)\s*=\s*("([^"<]*)"|'([^'<]*)')/.exec(source.slice(i));
      if (!attr) throw new Error(`<${name}>: malformed attribute at ${JSON.stringify(source.slice(i, i + 20))}`);
      if (attr[1]! in element.attributes) throw new Error(`<${name}>: duplicate attribute ${attr[1]}`);
      element.attributes[attr[1]!] = decode(attr[3] ?? attr[4]!, `attribute ${attr[1]} of <${name}>`);
      i += attr[0].length;
    }
    stack.at(-1)?.children.push(element);
    if (source.startsWith("/>", i)) {
      i += 2;
      if (stack.length === 0) root = element;
    } else {
      i += 1;
      stack.push(element);
    }
  }
  if (stack.length) throw new Error(`<${stack.at(-1)!.name}> is never closed`);
  if (!root) throw new Error("no root element");
  return root;
}

export function findAll(root: XmlElement, name: string): XmlElement[] {
  const out: XmlElement[] = [];
  const visit = (e: XmlElement): void => {
    if (e.name === name) out.push(e);
    e.children.forEach(visit);
  };
  visit(root);
  return out;
}

/** Every text element's content, decoded. */
export function texts(root: XmlElement): string[] {
  return findAll(root, "text").map((t) => t.text);
}
