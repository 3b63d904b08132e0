import { describe, expect, it } from "vitest";
import { parseXml, texts } from "./xml.js";

// The checker the chart tests lean on must itself reject what is not well-formed.
describe("the test XML reader", () => {
  it("reads elements, attributes and entities", () => {
    const root = parseXml(`<svg a="1 &amp; 2"><g><text x='3'>a &lt; b &#38; c</text></g><rect/></svg>\n`);
    expect(root.attributes["a"]).toBe("1 & 2");
    expect(texts(root)).toEqual(["a < b & c"]);
  });

  it.each([
    ["an unclosed tag", "<svg><g></svg>"],
    ["a mismatched close", "<svg><g></text></svg>"],
    ["a bare ampersand", "<svg><text>a & b</text></svg>"],
    ["a raw < in an attribute", '<svg a="<"/>'],
    ["an unquoted attribute", "<svg a=1/>"],
    ["a duplicate attribute", '<svg a="1" a="2"/>'],
    ["two roots", "<svg/><svg/>"],
    ["text after the root", "<svg/>x"],
  ])("rejects %s", (_, source) => {
    expect(() => parseXml(source)).toThrow();
  });
});
