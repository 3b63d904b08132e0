import { Random } from "@unfold/core";
import fc from "fast-check";
import { afterEach, describe, expect, test } from "vitest";
import { DEFAULT_ENERGY_SOURCE, MAX_FRAGMENT_CHARS, MAX_SHARE_BYTES, RUN_SHARED_QUESTION, type Share, decodeShare, encodeShare, sharedEnergyState } from "../src/editor/index.js";

const toBase64Url = (bytes: Uint8Array): string => Buffer.from(bytes).toString("base64url");
const plain = (text: string): string => `v1.j.${toBase64Url(new TextEncoder().encode(text))}`;

async function deflateRaw(bytes: Uint8Array): Promise<Uint8Array> {
  return new Uint8Array(await new Response(new Blob([bytes as Uint8Array<ArrayBuffer>]).stream().pipeThrough(new CompressionStream("deflate-raw"))).arrayBuffer());
}

/** The message decodeShare rejects a fragment with. */
async function refusal(fragment: string): Promise<string> {
  return decodeShare(fragment).then(
    () => "accepted",
    (error: unknown) => (error as Error).message,
  );
}

const settings = fc.dictionary(
  fc.string().filter((k) => k !== "__proto__"),
  fc.jsonValue().map((v) => JSON.parse(JSON.stringify(v)) as Share["settings"][string]),
);

describe("share links", () => {
  test("encode then decode gives the same source and settings, compressed or not (property)", async () => {
    await fc.assert(
      fc.asyncProperty(fc.string({ unit: "grapheme", maxLength: 400 }), settings, fc.boolean(), async (source, s, compress) => {
        const fragment = await encodeShare({ source, settings: s }, { compress });
        expect(fragment).toMatch(compress ? /^v1\.z\.[A-Za-z0-9_-]*$/ : /^v1\.j\.[A-Za-z0-9_-]*$/);
        expect(await decodeShare(`#${fragment}`)).toEqual({ source, settings: s });
      }),
      { numRuns: 150 },
    );
  });

  test("the default energy with its settings makes a short link", async () => {
    const fragment = await encodeShare({ source: DEFAULT_ENERGY_SOURCE, settings: { stepSize: 0.5, layers: 4, tied: true } });
    expect(fragment.length).toBeLessThan(DEFAULT_ENERGY_SOURCE.length);
    expect((await decodeShare(fragment)).source).toBe(DEFAULT_ENERGY_SOURCE);
  });

  test("a source too long to share is refused when encoding, with its length", async () => {
    // Random text hardly compresses (about 6.5 bits a character), so its link is longer than the limit.
    const rng = new Random(3);
    const source = Array.from({ length: MAX_FRAGMENT_CHARS }, () => String.fromCharCode(rng.int(33, 127))).join("");
    await expect(encodeShare({ source, settings: {} })).rejects.toThrow(/^share link: the energy is too long to share: its link would be \d+ characters, over the 65536 a link may have$/);
    await expect(encodeShare({ source: 3 as unknown as string, settings: {} })).rejects.toThrow("share link: 'source' is number 3, not a string");
  });

  test("settings a link would not carry as they are are refused when encoding, naming the setting", async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ stepSize: Number.NaN }, "share link: 'settings.stepSize' is NaN, which a link cannot carry (JSON has only finite numbers)"],
      [{ sizes: [1, Infinity] }, "share link: 'settings.sizes[1]' is Infinity, which a link cannot carry (JSON has only finite numbers)"],
      [{ view: { backend: undefined } }, "share link: 'settings.view.backend' is undefined, which a link cannot carry (only JSON values)"],
      [{ onRun: () => 1 }, "share link: 'settings.onRun' is a function, which a link cannot carry (only JSON values)"],
      [{ when: new Date(0) }, "share link: 'settings.when' is an object of a class, which a link cannot carry (only JSON values)"],
    ];
    for (const [settings, message] of cases) {
      await expect(encodeShare({ source: "", settings: settings as Share["settings"] })).rejects.toThrow(message);
    }
  });

  test("each malformed fragment is refused, saying what is wrong", async () => {
    const cases: [string, string | RegExp][] = [
      [`v1.j.${"A".repeat(MAX_FRAGMENT_CHARS)}`, `share link: ${MAX_FRAGMENT_CHARS + 5} characters is too long (at most ${MAX_FRAGMENT_CHARS})`],
      ["#section-2", "share link: 'section-2' is not 'v1.<encoding>.<data>'"],
      ["v1.z", "share link: 'v1.z' is not 'v1.<encoding>.<data>'"],
      ["v2.z.AAAA", "share link: version 2 is not one this page reads (it reads version 1); open the link with the studio that made it"],
      ["v1.gz.AAAA", "share link: encoding 'gz' is not 'z' (deflate-raw) or 'j' (plain JSON)"],
      ["v1.j.ab+c", 'share link: its data is not base64url: character "+" at position 3'],
      ["v1.j.abcde", "share link: its data is not base64url: 5 characters is a length no encoding has (cut short?)"],
      [`v1.z.${toBase64Url(Uint8Array.from([0xff, 0xff, 0xff, 0xff, 0x00, 0x12]))}`, /^share link: its data is not deflate-raw data \(.+\)$/],
      [`v1.j.${toBase64Url(Uint8Array.from([0x7b, 0xff, 0x7d]))}`, "share link: its data is not UTF-8 text"],
      [plain("{source: 1}"), /^share link: its data is not JSON \(.+\)$/],
      [plain("[1, 2]"), "share link: its data is an array, not an object with 'source' and 'settings'"],
      [plain('"just text"'), `share link: its data is string "just text", not an object with 'source' and 'settings'`],
      [plain('{"source": "", "settings": {}, "run": true}'), "share link: field 'run' is not one a share has (it has 'source' and 'settings')"],
      [plain('{"source": 42, "settings": {}}'), "share link: 'source' is number 42, not a string"],
      [plain('{"source": ""}'), "share link: 'settings' is missing, not an object"],
      [plain('{"source": "", "settings": [1]}'), "share link: 'settings' is an array, not an object"],
    ];
    for (const [fragment, expected] of cases) {
      const message = await refusal(fragment);
      if (typeof expected === "string") expect(message, fragment).toBe(expected);
      else expect(message, fragment).toMatch(expected);
    }
  });

  test("a small fragment that inflates past the bound is refused before it is all read", async () => {
    const bomb = await deflateRaw(new Uint8Array(MAX_SHARE_BYTES + 1024).fill(32));
    const fragment = `v1.z.${toBase64Url(bomb)}`;
    expect(fragment.length).toBeLessThan(MAX_FRAGMENT_CHARS);
    expect(await refusal(fragment)).toBe(`share link: its data expands past the ${MAX_SHARE_BYTES} bytes a share may have`);
  });
});

describe("sharedEnergyState: a shared energy waits to be asked", () => {
  const scope = globalThis as { studioRuns?: number };
  afterEach(() => {
    delete scope.studioRuns;
  });

  test("no fragment, and a fragment that is not a share, run nothing", async () => {
    expect(await sharedEnergyState("")).toEqual({ status: "none" });
    expect(await sharedEnergyState("#")).toEqual({ status: "none" });
    expect(await sharedEnergyState("#v9.z.AAAA")).toEqual({ status: "invalid", error: expect.stringMatching(/^share link: version 9 is not one/) as string });
  });

  test("a shared source is shown, not evaluated, until run() is called", async () => {
    const source = `(globalThis as { studioRuns?: number }).studioRuns = ((globalThis as { studioRuns?: number }).studioRuns ?? 0) + 1;\n${DEFAULT_ENERGY_SOURCE}`;
    const fragment = await encodeShare({ source, settings: { layers: 3 } });
    const state = await sharedEnergyState(`#${fragment}`);
    if (state.status !== "pending") throw new Error(`expected a pending share, got ${state.status}`);
    expect(state.source).toBe(source);
    expect(state.settings).toEqual({ layers: 3 });
    expect(state.question).toBe(RUN_SHARED_QUESTION);
    expect(scope.studioRuns).toBeUndefined();
    const result = state.run({ exampleShape: [3, 8] });
    expect(result.ok).toBe(true);
    expect(scope.studioRuns).toBe(1);
  });
});
