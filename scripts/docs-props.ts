// Generates README's props tables and its warmup settings table from the code, so they cannot
// drift from it:
//   npm run docs:props              rewrites every table between its markers in README.md
//   npm run docs:props -- --check   writes nothing; exits 1 naming every stale table
// Every `interface *Props` exported from modules/index.ts, and every *Props interface their props
// refer to, gets a table between `<!-- props:<Name> -->` and `<!-- /props:<Name> -->`: prop, type,
// default (its `@default` tag; "required" when the prop is not optional) and description (the
// JSDoc text). modules/warmup-settings.ts gets one between `<!-- warmup-settings -->` and
// `<!-- /warmup-settings -->`. The prose around the markers is never touched.
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import * as ts from "typescript";
import { WARMUP_SETTINGS, WarmupSetting } from "../modules/warmup-settings";

const ROOT = join(__dirname, "..");
export const ENTRY = join(ROOT, "modules", "index.ts");
export const README = join(ROOT, "README.md");
export const FIX = "npm run docs:props";

/** One prop as its declaration states it. */
export interface PropDoc {
  readonly name: string;
  /** The declared type as written (enums by name). */
  readonly type: string;
  readonly optional: boolean;
  /** The `@default` tag's text; undefined without one. */
  readonly defaultText: string | undefined;
  /** The JSDoc text without its tags, as written (line breaks kept). */
  readonly description: string;
}

export interface PropsInterface {
  readonly name: string;
  readonly props: readonly PropDoc[];
}

/** A generated table and the marker name it goes between in README. */
export interface Block {
  readonly key: string;
  readonly content: string;
}

// Only what the reader needs: declarations and JSDoc, not a full type check (that is tsc's job).
const COMPILER_OPTIONS: ts.CompilerOptions = {
  target: ts.ScriptTarget.ES2022,
  module: ts.ModuleKind.CommonJS,
  moduleResolution: ts.ModuleResolutionKind.Node10,
  types: [],
  skipLibCheck: true,
  noEmit: true,
};

/**
 * Every exported `interface *Props` of the entry module (re-exports followed), plus the *Props
 * interfaces their props refer to, exported or not: users meet those too.
 */
export function readPropsInterfaces(entry: string): PropsInterface[] {
  const program = ts.createProgram([entry], COMPILER_OPTIONS);
  const checker = program.getTypeChecker();
  const source = program.getSourceFile(entry);
  const moduleSymbol = source && checker.getSymbolAtLocation(source);
  if (!moduleSymbol) throw new Error(`${entry} is not a module`);
  const found = new Map<string, ts.Symbol>();
  const visit = (symbol: ts.Symbol): void => {
    const target = resolveAlias(checker, symbol);
    if (!isPropsInterface(target) || found.has(target.name)) return;
    found.set(target.name, target);
    for (const property of propertiesOf(checker, target)) {
      const typeNode = propertyDeclaration(property)?.type;
      if (typeNode) referencedSymbols(checker, typeNode).forEach(visit);
    }
  };
  checker.getExportsOfModule(moduleSymbol).forEach(visit);
  return [...found.values()].map((symbol) => ({ name: symbol.name, props: propertiesOf(checker, symbol).map((p) => propDoc(checker, p)) }));
}

function resolveAlias(checker: ts.TypeChecker, symbol: ts.Symbol): ts.Symbol {
  return symbol.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(symbol) : symbol;
}

function isPropsInterface(symbol: ts.Symbol): boolean {
  return (symbol.flags & ts.SymbolFlags.Interface) !== 0 && symbol.name.endsWith("Props");
}

/** Own and inherited properties, in declaration order; methods are not props. */
function propertiesOf(checker: ts.TypeChecker, symbol: ts.Symbol): ts.Symbol[] {
  return checker.getPropertiesOfType(checker.getDeclaredTypeOfSymbol(symbol)).filter((p) => propertyDeclaration(p) !== undefined);
}

function propertyDeclaration(property: ts.Symbol): ts.PropertySignature | undefined {
  const declaration = property.valueDeclaration;
  return declaration && ts.isPropertySignature(declaration) ? declaration : undefined;
}

/** The symbols of every type reference inside a type node (arrays, unions and generics included). */
function referencedSymbols(checker: ts.TypeChecker, node: ts.Node): ts.Symbol[] {
  const symbols: ts.Symbol[] = [];
  const walk = (child: ts.Node): void => {
    const symbol = ts.isTypeReferenceNode(child) ? checker.getSymbolAtLocation(child.typeName) : undefined;
    if (symbol) symbols.push(symbol);
    ts.forEachChild(child, walk);
  };
  walk(node);
  return symbols;
}

function propDoc(checker: ts.TypeChecker, property: ts.Symbol): PropDoc {
  const declaration = propertyDeclaration(property);
  const typeText = declaration?.type?.getText() ?? checker.typeToString(checker.getTypeOfSymbol(property));
  const defaultTag = property.getJsDocTags(checker).find((tag) => tag.name === "default");
  return {
    name: property.name,
    type: typeText.replace(/\s+/g, " "),
    optional: (property.flags & ts.SymbolFlags.Optional) !== 0,
    defaultText: defaultTag && ts.displayPartsToString(defaultTag.text).trim(),
    description: ts.displayPartsToString(property.getDocumentationComment(checker)).trim(),
  };
}

/** One line; pipes escaped, since even inside code a pipe would end the table cell. */
function oneLine(text: string): string {
  return text.replace(/\s+/g, " ").replace(/\|/g, "\\|").trim();
}

/** Text for a table cell; `<` escaped so that "<name>" is not taken for an HTML tag. */
function cell(text: string): string {
  return oneLine(text).replace(/</g, "\\<");
}

function code(text: string): string {
  return `\`${oneLine(text)}\``;
}

/**
 * "required", the prose of a `@default - what happens`, or the literal in code style followed by
 * any remark (`@default "/dev/xvda" (Amazon Linux 2023)`).
 */
function defaultCell(prop: PropDoc): string {
  if (!prop.optional) return "required";
  const text = prop.defaultText;
  if (text === undefined) return "";
  if (text.startsWith("- ")) return cell(text.slice(2));
  const [, literal, remark] = /^("(?:[^"\\]|\\.)*"|\[[^\]]*\]|\{[^}]*\}|\S+)\s*(.*)$/s.exec(text) ?? [text, text, ""];
  if (!remark) return code(literal);
  return `${code(literal)}${/^[,;.]/.test(remark) ? "" : " "}${cell(remark)}`;
}

export function propsTable(props: PropsInterface): string {
  const rows = props.props.map((p) => `| \`${p.name}\` | ${code(p.type)} | ${defaultCell(p)} | ${cell(p.description)} |`);
  return ["| prop | type | default | description |", "| --- | --- | --- | --- |", ...rows].join("\n");
}

function settingValue(value: number | string): string {
  return typeof value === "number" ? String(value) : code(value);
}

/** What WarmupHook sets when the prop is unset, then what the function uses when the variable is. */
function settingDefault(setting: WarmupSetting): string {
  const { derived } = setting;
  const fallback = setting.default === undefined ? undefined : settingValue(setting.default);
  if (derived === undefined) return fallback ?? "none";
  return fallback === undefined ? derived : `${derived}; ${fallback} when unset`;
}

function settingAllowed(setting: WarmupSetting): string {
  switch (setting.type) {
    case "integer":
    case "number": {
      const range = `${setting.min} to ${setting.max}${setting.unit === undefined ? "" : ` ${setting.unit}`}`;
      return setting.type === "number" ? `${range}, fractions allowed` : range;
    }
    case "enum":
      return setting.values.map(code).join(", ");
    case "path":
      return "a path starting with `/`";
    case "string":
      return "text";
  }
}

export function warmupSettingsTable(settings: readonly WarmupSetting[]): string {
  const rows = settings.map(
    (s) => `| \`${s.env}\` | ${s.prop === undefined ? "from the fleet" : `\`${s.prop}\``} | ${settingDefault(s)} | ${settingAllowed(s)} | ${cell(s.description)} |`,
  );
  return ["| variable | WarmupHook prop | default | allowed | description |", "| --- | --- | --- | --- | --- |", ...rows].join("\n");
}

/** Every table README should hold: one per Props interface, and the warmup settings. */
export function blocksOf(interfaces: readonly PropsInterface[]): Block[] {
  const props = interfaces.map((p) => ({ key: `props:${p.name}`, content: propsTable(p) }));
  return [...props, { key: "warmup-settings", content: warmupSettingsTable(Object.values(WARMUP_SETTINGS)) }];
}

const openMarker = (key: string): string => `<!-- ${key} -->`;
const closeMarker = (key: string): string => `<!-- /${key} -->`;

export interface ReadmeUpdate {
  /** README with every block whose markers it has brought up to date. */
  readonly text: string;
  /** Keys of the blocks whose content differed. */
  readonly stale: readonly string[];
  /** Markers to add or remove by hand: the generator cannot know where a table belongs. */
  readonly markerProblems: readonly string[];
}

export function updateReadme(readme: string, blocks: readonly Block[]): ReadmeUpdate {
  let text = readme;
  const stale: string[] = [];
  const markerProblems: string[] = [];
  for (const { key, content } of blocks) {
    const start = text.indexOf(openMarker(key));
    const end = start < 0 ? -1 : text.indexOf(closeMarker(key), start);
    if (end < 0) {
      markerProblems.push(`README.md has no ${openMarker(key)} ... ${closeMarker(key)} markers. Fix: add them where that table belongs, then ${FIX}`);
      continue;
    }
    const current = text.slice(start, end + closeMarker(key).length);
    // Blank lines around the table, so Markdown never reads a marker as a table row.
    const wanted = `${openMarker(key)}\n\n${content}\n\n${closeMarker(key)}`;
    if (current === wanted) continue;
    stale.push(key);
    text = text.slice(0, start) + wanted + text.slice(end + closeMarker(key).length);
  }
  const known = new Set(blocks.map((b) => b.key));
  for (const [, key] of readme.matchAll(/<!-- (props:[\w$]+) -->/g)) {
    if (!known.has(key)) markerProblems.push(`README.md has ${openMarker(key)} markers, but no exported *Props interface is called that. Fix: remove them or rename them, then ${FIX}`);
  }
  return { text, stale, markerProblems };
}

/** What `--check` reports: one line per stale table or misplaced marker, each naming its fix. */
function problemsOf({ stale, markerProblems }: ReadmeUpdate): string[] {
  return [...stale.map((key) => `README.md: the ${key} table differs from the code. Fix: ${FIX}`), ...markerProblems];
}

export function readmeProblems(readme: string, blocks: readonly Block[]): string[] {
  return problemsOf(updateReadme(readme, blocks));
}

function main(argv: readonly string[]): number {
  const unknown = argv.filter((a) => a !== "--check");
  if (unknown.length > 0) {
    process.stderr.write(`docs-props: unknown argument ${unknown[0]}. Usage: ${FIX} [-- --check]\n`);
    return 2;
  }
  const update = updateReadme(readFileSync(README, "utf8"), blocksOf(readPropsInterfaces(ENTRY)));
  if (argv.includes("--check")) {
    const problems = problemsOf(update);
    problems.forEach((p) => process.stderr.write(`docs-props --check: ${p}\n`));
    return problems.length > 0 ? 1 : 0;
  }
  const { text, stale, markerProblems } = update;
  if (stale.length > 0) writeFileSync(README, text);
  process.stdout.write(stale.length > 0 ? `docs-props: updated ${stale.join(", ")} in README.md\n` : "docs-props: README.md is up to date\n");
  markerProblems.forEach((p) => process.stderr.write(`docs-props: ${p}\n`));
  return markerProblems.length > 0 ? 1 : 0;
}

if (require.main === module) process.exitCode = main(process.argv.slice(2));
