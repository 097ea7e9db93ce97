// Lint rules that guard the architecture as well as the code: core/ stays pure (no node:*, no drivers, nothing of
// ours), and promises are never left floating in the streaming and I/O code.
import js from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["dist/", "node_modules/", "web/dist/", "bench/out/", ".longwatch/", "longwatch-demo/", ".tmp/"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    // The dashboard's .tsx under the same typed rules as the rest (no floating promises in event handlers either).
    files: ["**/*.ts", "**/*.tsx"],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      "@typescript-eslint/no-floating-promises": [
        "error",
        { allowForKnownSafeCalls: [{ from: "package", package: "node:test", name: ["describe", "it", "test", "suite", "before", "after", "beforeEach", "afterEach"] }] },
      ],
      "@typescript-eslint/no-misused-promises": "error",
      "@typescript-eslint/consistent-type-imports": "error",
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "no-restricted-syntax": ["error", { selector: "ExportAllDeclaration", message: "Export names explicitly." }],
    },
  },
  {
    files: ["src/core/**/*.ts"],
    rules: {
      "no-restricted-imports": ["error", {
        patterns: [
          { group: ["node:*", "better-sqlite3", "pg", "commander", "picocolors"], message: "core/ is pure: no I/O, no drivers." },
          { group: ["../*", "!./*"], message: "core/ imports nothing of ours outside core/." },
        ],
      }],
    },
  },
  {
    files: ["src/audit/**/*.ts", "src/vulns/**/*.ts", "src/lifecycle/**/*.ts", "src/certify/**/*.ts", "src/detect/**/*.ts"],
    rules: {
      "no-restricted-imports": ["error", {
        patterns: [{ group: ["**/cli/*", "**/server/*", "**/transport/*"], message: "Engines don't depend on their front ends." }],
      }],
    },
  },
  { files: ["**/*.js", "**/*.mjs"], languageOptions: { globals: { process: "readonly", console: "readonly" } } },
);
