import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import ts from "typescript";

const SRC = path.join(path.dirname(fileURLToPath(import.meta.url)), "../../src");

/** The folders whose code reads what a tenant wrote: step logs, and the app's own files. */
export const TENANT_TEXT_FOLDERS = ["failures", "apps", "schema"];

/**
 * `new RegExp(…)` calls whose arguments are not constants, and why they are safe: each
 * copies a pattern checked elsewhere.
 */
const COPIES: Record<string, string> = {
  "failures/scan/rule-literals.ts":
    "the rules' alternatives, each checked by deriveRuleLiterals when the classifier loads",
};

export type FoundPattern = { where: string; pattern: RegExp };

/**
 * Every regular expression written in the tenant-text folders, read from the sources (so a
 * pattern that no test happens to run is still found): each literal, and each
 * `new RegExp(…)` whose arguments are constants of its module or exports of another,
 * evaluated. Throws on one it cannot evaluate, unless listed in COPIES.
 */
export async function tenantTextPatterns(): Promise<FoundPattern[]> {
  const found: FoundPattern[] = [];
  for (const folder of TENANT_TEXT_FOLDERS) {
    for (const file of tsFiles(path.join(SRC, folder))) {
      found.push(...(await patternsIn(file)));
    }
  }
  return found;
}

function tsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return tsFiles(full);
    return entry.name.endsWith(".ts") ? [full] : [];
  });
}

async function patternsIn(file: string): Promise<FoundPattern[]> {
  const relative = path.relative(SRC, file);
  const source = ts.createSourceFile(
    file,
    readFileSync(file, "utf8"),
    ts.ScriptTarget.Latest,
    true,
  );
  const constants = new Map<string, ts.Expression>();
  const imports = new Map<string, { from: string; name: string }>();
  for (const statement of source.statements) {
    if (ts.isVariableStatement(statement)) {
      for (const declaration of statement.declarationList.declarations) {
        if (ts.isIdentifier(declaration.name) && declaration.initializer)
          constants.set(declaration.name.text, declaration.initializer);
      }
    }
    if (ts.isImportDeclaration(statement) && ts.isStringLiteral(statement.moduleSpecifier)) {
      const bindings = statement.importClause?.namedBindings;
      if (bindings && ts.isNamedImports(bindings)) {
        for (const element of bindings.elements) {
          imports.set(element.name.text, {
            from: statement.moduleSpecifier.text,
            name: (element.propertyName ?? element.name).text,
          });
        }
      }
    }
  }

  const evaluate = async (node: ts.Expression): Promise<unknown> => {
    if (ts.isStringLiteral(node)) return node.text;
    if (ts.isNoSubstitutionTemplateLiteral(node)) return node.text;
    if (ts.isRegularExpressionLiteral(node)) return literal(node.text);
    if (ts.isParenthesizedExpression(node)) return evaluate(node.expression);
    if (ts.isTaggedTemplateExpression(node) && node.tag.getText() === "String.raw") {
      const template = node.template;
      if (ts.isNoSubstitutionTemplateLiteral(template)) return template.rawText;
      let text = template.head.rawText ?? "";
      for (const span of template.templateSpans) {
        text += String(await evaluate(span.expression)) + (span.literal.rawText ?? "");
      }
      return text;
    }
    if (ts.isTemplateExpression(node)) {
      let text = node.head.text;
      for (const span of node.templateSpans) {
        text += String(await evaluate(span.expression)) + span.literal.text;
      }
      return text;
    }
    if (ts.isIdentifier(node)) {
      const initializer = constants.get(node.text);
      if (initializer) return evaluate(initializer);
      const imported = imports.get(node.text);
      if (imported) {
        const target = path.resolve(path.dirname(file), imported.from.replace(/\.js$/, ".ts"));
        const module = await import(pathToFileURL(target).href);
        return module[imported.name];
      }
    }
    if (ts.isPropertyAccessExpression(node) && node.name.text === "source") {
      const of = await evaluate(node.expression);
      if (of instanceof RegExp) return of.source;
    }
    if (ts.isNewExpression(node) && node.expression.getText() === "RegExp") {
      const [first, flags] = await Promise.all(
        (node.arguments ?? []).map((argument) => evaluate(argument)),
      );
      if (flags !== undefined && typeof flags !== "string") return undefined;
      if (first instanceof RegExp) return new RegExp(first, flags);
      if (typeof first === "string") return new RegExp(first, flags);
      return undefined;
    }
    if (ts.isCallExpression(node)) {
      const callee = await evaluate(node.expression);
      if (typeof callee === "function") {
        const args = await Promise.all(node.arguments.map((argument) => evaluate(argument)));
        if (args.every((argument) => argument !== undefined)) return callee(...args);
      }
    }
    return undefined;
  };

  const found: FoundPattern[] = [];
  const pending: Promise<void>[] = [];
  const visit = (node: ts.Node) => {
    const line = source.getLineAndCharacterOfPosition(node.getStart()).line + 1;
    const where = `src/${relative}:${line}`;
    if (ts.isRegularExpressionLiteral(node)) found.push({ where, pattern: literal(node.text) });
    if (ts.isNewExpression(node) && node.expression.getText() === "RegExp") {
      pending.push(
        (async () => {
          const pattern = await evaluate(node);
          if (pattern instanceof RegExp) found.push({ where, pattern });
          else if (!(relative in COPIES))
            throw new Error(`${where}: cannot read the pattern of ${node.getText()}`);
        })(),
      );
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  await Promise.all(pending);
  return found;
}

function literal(text: string): RegExp {
  const end = text.lastIndexOf("/");
  return new RegExp(text.slice(1, end), text.slice(end + 1));
}
