// Tokenizes .plat files with the extension's TextMate grammar, as VS Code
// does (vscode-textmate + vscode-oniguruma), and checks for each file:
//   - no region (string, comment, interpolation) is left open at the end;
//   - every comment, string and reserved keyword that an independent scan
//     of the text finds has the right scope (comment.*, string.quoted.*,
//     keyword.* / constant.language.* / variable.language.*).
// Usage: node grammar-check.js PATH...   (files, or directories searched
// for *.plat). Exit status 1 when a file fails, 2 for a usage error.
"use strict";

const fs = require("fs");
const path = require("path");
const vsctm = require("vscode-textmate");
const oniguruma = require("vscode-oniguruma");

// PLAT_GRAMMAR: another grammar file (the test checks that a broken one fails).
const GRAMMAR = process.env.PLAT_GRAMMAR || path.join(__dirname, "..", "syntaxes", "plat.tmLanguage.json");

const RESERVED = new Set([
  "platform", "import", "component", "interface", "param", "secret", "environment",
  "policy", "allow", "expose", "provides", "requires", "chart", "values",
  "if", "else", "for", "in", "true", "false", "none", "self",
]);

function collect(p, out) {
  const st = fs.statSync(p);
  if (st.isDirectory()) {
    for (const e of fs.readdirSync(p).sort()) {
      if (!e.startsWith(".")) collect(path.join(p, e), out);
    }
  } else if (p.endsWith(".plat")) {
    out.push(p);
  }
}

async function registry() {
  const wasm = fs.readFileSync(require.resolve("vscode-oniguruma/release/onig.wasm")).buffer;
  await oniguruma.loadWASM(wasm);
  return new vsctm.Registry({
    onigLib: Promise.resolve({
      createOnigScanner: (s) => new oniguruma.OnigScanner(s),
      createOnigString: (s) => new oniguruma.OnigString(s),
    }),
    loadGrammar: async (scope) =>
      scope === "source.plat"
        ? vsctm.parseRawGrammar(fs.readFileSync(GRAMMAR, "utf8"), GRAMMAR)
        : null,
  });
}

// What an independent scan of the text expects at each (line, column):
// "comment", "string" or "keyword". Strings are single-line; `${...}`
// interpolations are code (nested braces and strings followed).
function expectations(text) {
  const out = [];
  const lines = text.split("\n");
  // Stack of modes: "code", "string", "interp" (with brace depth).
  const stack = [{ mode: "code" }];
  let inBlock = false;
  lines.forEach((line, ln) => {
    let i = 0;
    while (i < line.length) {
      const top = stack[stack.length - 1];
      const c = line[i];
      if (inBlock) {
        const end = line.indexOf("*/", i);
        if (end < 0) { i = line.length; break; }
        i = end + 2; inBlock = false; continue;
      }
      if (top.mode === "string") {
        if (c === "\\") { i += 2; continue; }
        if (c === "\"") { stack.pop(); i++; continue; }
        if (c === "$" && line[i + 1] === "{") { stack.push({ mode: "interp", depth: 0 }); i += 2; continue; }
        i++; continue;
      }
      if (c === "/" && line[i + 1] === "/") { out.push([ln, i, "comment"]); break; }
      if (c === "/" && line[i + 1] === "*") { out.push([ln, i, "comment"]); inBlock = true; i += 2; continue; }
      if (c === "\"") { out.push([ln, i, "string"]); stack.push({ mode: "string" }); i++; continue; }
      if (top.mode === "interp") {
        if (c === "{") { top.depth++; i++; continue; }
        if (c === "}") { if (top.depth === 0) stack.pop(); else top.depth--; i++; continue; }
      }
      const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(line.slice(i));
      if (m) {
        const word = m[0];
        const before = line.slice(0, i).trimEnd();
        const after = line.slice(i + word.length).trimStart();
        const key = before.endsWith(".") || after.startsWith(".") || (after.startsWith("=") && !after.startsWith("=="));
        if (RESERVED.has(word) && !key) out.push([ln, i, "keyword"]);
        i += word.length; continue;
      }
      i++;
    }
    // A string is closed by the end of its line (E0102 otherwise).
    while (stack.length > 1 && stack[stack.length - 1].mode === "string") stack.pop();
  });
  return out;
}

function scopeOk(kind, scopes) {
  const s = scopes.join(" ");
  if (kind === "comment") return /(^| )comment\./.test(s);
  if (kind === "string") return /(^| )string\.quoted\.double\.plat/.test(s);
  return scopes.some((x) => /^(keyword|storage\.type|constant\.language|variable\.language)\./.test(x));
}

async function main() {
  const args = process.argv.slice(2);
  if (args.length === 0) { console.error("usage: grammar-check.js PATH..."); process.exit(2); }
  const files = [];
  for (const a of args) collect(a, files);
  if (files.length === 0) { console.error("no .plat files under " + args.join(", ")); process.exit(2); }
  const grammar = await (await registry()).loadGrammar("source.plat");
  let failures = 0;
  let checked = 0;
  for (const file of files) {
    const text = fs.readFileSync(file, "utf8");
    const lines = text.split("\n");
    let state = vsctm.INITIAL;
    const tokens = [];
    for (const line of lines) {
      const r = grammar.tokenizeLine(line, state);
      tokens.push(r.tokens);
      state = r.ruleStack;
    }
    const problems = [];
    if (state.depth !== 1) {
      problems.push(`a region is still open at the end of the file (rule stack depth ${state.depth})`);
    }
    for (const [ln, col, kind] of expectations(text)) {
      const t = tokens[ln].find((t) => t.startIndex <= col && col < t.endIndex);
      checked++;
      if (!t || !scopeOk(kind, t.scopes)) {
        problems.push(`${ln + 1}:${col + 1}: expected a ${kind}, got ${t ? t.scopes.join(" ") : "no token"}: ${lines[ln].trim()}`);
      }
    }
    if (problems.length) {
      failures++;
      console.log(`FAIL ${file}`);
      for (const p of problems.slice(0, 20)) console.log(`  ${p}`);
      if (problems.length > 20) console.log(`  ... and ${problems.length - 20} more`);
    }
  }
  console.log(`${files.length} files, ${checked} comments, strings and keywords checked, ${failures} failing`);
  process.exit(failures ? 1 : 0);
}

main().catch((e) => { console.error(e); process.exit(2); });
