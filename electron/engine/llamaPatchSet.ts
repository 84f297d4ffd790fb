// Written by `npm run llama:digest` from build/llama-patches/; test/build/llama-patch-set.test.ts checks it.
/** The digest of Reprise's patch set for llama.cpp and node-llama-cpp's addon. */
export const llamaPatchSet = "1ac4c8a967e4";
