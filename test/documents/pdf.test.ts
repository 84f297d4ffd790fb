import { describe, expect, it } from "vitest";
import { unpacked } from "../../electron/documents/pdf";

describe("where the packaged app finds pdf.js", () => {
  it("maps a path inside the asar archive to the unpacked copy beside it, on either separator", () => {
    expect(unpacked("/opt/Reprise/resources/app.asar/node_modules/pdfjs-dist/legacy/build/pdf.mjs")).toBe(
      "/opt/Reprise/resources/app.asar.unpacked/node_modules/pdfjs-dist/legacy/build/pdf.mjs",
    );
    expect(unpacked("C:\\Reprise\\resources\\app.asar\\node_modules\\pdfjs-dist\\pdf.mjs")).toBe(
      "C:\\Reprise\\resources\\app.asar.unpacked\\node_modules\\pdfjs-dist\\pdf.mjs",
    );
  });

  it("leaves a path outside any archive as it is", () => {
    const file = "/work/reprise/node_modules/pdfjs-dist/legacy/build/pdf.mjs";
    expect(unpacked(file)).toBe(file);
    expect(unpacked("/data/app.asarx/pdf.mjs")).toBe("/data/app.asarx/pdf.mjs");
  });
});
