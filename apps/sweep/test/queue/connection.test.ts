import { describe, expect, it } from "vitest";
import { PASSWORD_ENV, maskUrlText, parseQueueUrl, scrubPassword } from "../../src/queue/connection.js";

const SECRET = "s3cret-Pa55";

describe("--queue URL", () => {
  it("parses host, port and database, with Redis's defaults", () => {
    expect(parseQueueUrl("redis://127.0.0.1:6380/2", {})).toMatchObject({ host: "127.0.0.1", port: 6380, db: 2, tls: false, shown: "redis://127.0.0.1:6380/2" });
    expect(parseQueueUrl("redis://queue.lab", {})).toMatchObject({ host: "queue.lab", port: 6379, db: 0, shown: "redis://queue.lab:6379" });
    expect(parseQueueUrl("rediss://[::1]:7000", {})).toMatchObject({ host: "::1", port: 7000, tls: true, shown: "rediss://[::1]:7000" });
  });

  it("takes the password from UNFOLD_REDIS_PASSWORD and shows it only as ***", () => {
    const address = parseQueueUrl("redis://lab@10.0.0.5:6379", { [PASSWORD_ENV]: SECRET });
    expect(address).toMatchObject({ username: "lab", password: SECRET, shown: "redis://lab:***@10.0.0.5:6379" });
    expect(parseQueueUrl("redis://10.0.0.5", { [PASSWORD_ENV]: SECRET }).shown).toBe("redis://:***@10.0.0.5:6379");
    expect(scrubPassword(`WRONGPASS ${SECRET} rejected`, address)).toBe("WRONGPASS *** rejected");
    expect(maskUrlText(`redis://user:${SECRET}@host`)).toBe("redis://***@host");
  });

  // Bad input: each refusal names --queue and what is wrong, and none repeats a password.
  const refusals: [string, string | boolean | undefined, NodeJS.ProcessEnv, RegExp][] = [
    ["missing", undefined, {}, /^--queue needs a Redis URL/],
    ["a switch without a value", true, {}, /^--queue needs a Redis URL/],
    ["a password in the URL", `redis://:${SECRET}@127.0.0.1:6379`, {}, /^--queue: the URL carries a password.*UNFOLD_REDIS_PASSWORD/],
    ["a user and password in the URL", `redis://lab:${SECRET}@127.0.0.1`, {}, /^--queue: the URL carries a password/],
    ["not a URL", `:${SECRET}@nowhere`, {}, /^--queue: '.*' is not a URL/],
    ["another scheme", `http://u:${SECRET}@127.0.0.1:6379`, {}, /^--queue: 'http:\/\/\*\*\*@127.0.0.1:6379' is not a Redis URL \(http\)/],
    ["no host", "redis://:6379", {}, /^--queue: 'redis:\/\/:6379' (names no host|is not a URL)/],
    ["a database that is not a number", "redis://127.0.0.1:6379/queue", {}, /^--queue: the database '\/queue' in 'redis:\/\/127.0.0.1:6379\/queue' is not a number/],
    ["a query string", `redis://127.0.0.1:6379?password=${SECRET}`, {}, /^--queue: the URL has a query or fragment/],
    ["an empty password variable", "redis://127.0.0.1:6379", { [PASSWORD_ENV]: "" }, /^UNFOLD_REDIS_PASSWORD is set but empty/],
  ];
  it.each(refusals)("refuses %s", (_name, value, env, message) => {
    let error: Error | undefined;
    try {
      parseQueueUrl(value, env);
    } catch (e) {
      error = e as Error;
    }
    expect(error?.message).toMatch(message);
    expect(error?.message).not.toContain(SECRET);
  });
});
