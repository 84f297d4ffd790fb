import { describe, expect, it } from "vitest";
import { array, jsonObject, literal, nullable, number, object, string, transform } from "../../electron/api/schema";

describe("schema", () => {
  it("literal accepts exactly its value", () => {
    expect(literal(2).parse(2)).toBe(2);
    expect(() => literal(2).parse("2", { path: "$.version" })).toThrow('$.version: expected 2, got "2"');
  });

  it("nullable takes null or what its inner schema takes", () => {
    const s = nullable(string());
    expect(s.parse(null)).toBeNull();
    expect(s.parse("x")).toBe("x");
    expect(() => s.parse(1)).toThrow("expected a string");
  });

  it("transform turns what its inner schema accepted into another form", () => {
    const s = transform(object({ start: number() }), ({ start }) => ({ startChar: start }));
    expect(s.parse({ start: 3 })).toEqual({ startChar: 3 });
    expect(() => s.parse({ start: "3" })).toThrow("request.start: expected a number");
  });

  it("jsonObject takes an object of JSON values only", () => {
    expect(jsonObject().parse({ a: [1, null, { b: true }] })).toEqual({ a: [1, null, { b: true }] });
    for (const bad of [[1], null, "x", { a: Number.NaN }, { a: { b: undefined } }, { a: () => 1 }]) {
      expect(() => jsonObject().parse(bad)).toThrow("expected a JSON object");
    }
  });

  it("array bounds the number of items both ways", () => {
    expect(() => array(string(), { min: 1 }).parse([])).toThrow("expected a list of at least 1 item");
    expect(() => array(string(), { max: 1 }).parse(["a", "b"])).toThrow("expected a list of at most 1 items");
  });
});
