import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ENTRY, PropDoc, PropsInterface, README, blocksOf, propsTable, readPropsInterfaces, readmeProblems, updateReadme } from "../../scripts/docs-props";

/** What a props table needs of one prop: a one-line description, and a default unless required. */
function docProblems(owner: string, prop: PropDoc): string[] {
  const where = `${owner}.${prop.name}`;
  const problems: string[] = [];
  if (prop.description === "") problems.push(`${where}: no JSDoc; add a one-line description`);
  if (prop.description.includes("\n")) problems.push(`${where}: JSDoc over several lines; say it in one`);
  if (prop.optional && !prop.defaultText) problems.push(`${where}: optional without @default; add "@default <value>" or "@default - <what happens>"`);
  return problems;
}

describe("docs-props on the package", () => {
  let interfaces: PropsInterface[];
  beforeAll(() => {
    interfaces = readPropsInterfaces(ENTRY);
  });

  test("GIVEN the code WHEN README's generated tables are compared with it THEN none is stale (else: npm run docs:props)", () => {
    expect(readmeProblems(readFileSync(README, "utf8"), blocksOf(interfaces))).toEqual([]);
  });

  test("GIVEN every exported Props interface WHEN its props are read THEN each has a one-line JSDoc and, if optional, an @default", () => {
    expect(interfaces.map((i) => i.name)).toContain("WarmupHookProps");
    expect(interfaces.flatMap((i) => i.props.flatMap((p) => docProblems(i.name, p)))).toEqual([]);
  });
});

describe("docs-props on a fixture", () => {
  const dir = mkdtempSync(join(tmpdir(), "docs-props-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, "index.ts"), 'export * from "./shapes";\n');
  writeFileSync(
    join(dir, "shapes.ts"),
    `export enum Colour { RED = "red", BLUE = "blue" }

/** Not exported, but users meet it through ShapeProps.border. */
interface BorderProps {
  /** Line width in pixels. @default 1 */
  readonly width?: number;
}

export interface ShapeProps {
  /** Name of the shape. */
  readonly name: string;
  /** Fill colour. @default Colour.RED */
  readonly colour?: Colour;
  /** Label, a|b. @default "top left" (the first corner) */
  readonly label?: string;
  /**
   * Border around the shape.
   * @default - no border
   */
  readonly border?: BorderProps;
  /** Methods are not props. */
  area(): number;
}

/** Not named *Props: no table. */
export interface ShapeOptions {
  readonly ignored: string;
}
`,
  );

  test("GIVEN an entry re-exporting a Props interface WHEN read THEN it and the Props interfaces its props use get tables, nothing else", () => {
    const interfaces = readPropsInterfaces(join(dir, "index.ts"));
    expect(interfaces.map((i) => i.name)).toEqual(["ShapeProps", "BorderProps"]);
    expect(propsTable(interfaces[0])).toBe(
      [
        "| prop | type | default | description |",
        "| --- | --- | --- | --- |",
        "| `name` | `string` | required | Name of the shape. |",
        "| `colour` | `Colour` | `Colour.RED` | Fill colour. |",
        '| `label` | `string` | `"top left"` (the first corner) | Label, a\\|b. |',
        "| `border` | `BorderProps` | no border | Border around the shape. |",
      ].join("\n"),
    );
  });

  test("GIVEN a README with a stale table, a missing marker and an unknown one WHEN updated THEN each is reported with its fix and only the table changes", () => {
    const blocks = [
      { key: "props:ShapeProps", content: "| new |" },
      { key: "props:BorderProps", content: "| border |" },
    ];
    const readme = "intro\n<!-- props:ShapeProps -->\n| old |\n<!-- /props:ShapeProps -->\n<!-- props:GoneProps -->\n<!-- /props:GoneProps -->\nend\n";
    const update = updateReadme(readme, blocks);
    expect(update.text).toBe("intro\n<!-- props:ShapeProps -->\n\n| new |\n\n<!-- /props:ShapeProps -->\n<!-- props:GoneProps -->\n<!-- /props:GoneProps -->\nend\n");
    expect(update.stale).toEqual(["props:ShapeProps"]);
    expect(readmeProblems(readme, blocks)).toEqual([
      "README.md: the props:ShapeProps table differs from the code. Fix: npm run docs:props",
      expect.stringMatching(/no <!-- props:BorderProps --> \.\.\. <!-- \/props:BorderProps --> markers\. Fix: add them/),
      expect.stringMatching(/<!-- props:GoneProps --> markers, but no exported \*Props interface/),
    ]);
    expect(readmeProblems(update.text, [blocks[0]])).toEqual([expect.stringMatching(/GoneProps/)]);
  });
});
