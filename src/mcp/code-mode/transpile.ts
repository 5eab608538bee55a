import type { transform as SucraseTransform } from 'sucrase';

/** The function the caller's code becomes the body of (it may `await` and `return`). */
export const MAIN_FUNCTION = '__tollgate_main';

let sucrase: Promise<typeof SucraseTransform> | undefined;

/**
 * The caller's TypeScript or JavaScript as a script declaring `async function __tollgate_main()`
 * whose body is the code, types stripped by Sucrase (its `typescript` transform only: no module,
 * JSX or syntax lowering; QuickJS runs modern JavaScript). Lines keep their numbers, shifted by one.
 * Throws a SyntaxError naming the line for code that does not parse (an `import` declaration too).
 */
export async function transpileCode(code: string): Promise<string> {
  sucrase ??= import('sucrase').then((module) => module.transform);
  const transform = await sucrase;
  const wrapped = `async function ${MAIN_FUNCTION}() {\n${code}\n}`;
  try {
    return transform(wrapped, { transforms: ['typescript'], disableESTransforms: true }).code;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new SyntaxError(message.replace(/\((\d+):(\d+)\)/, (_whole, line: string, column: string) => `(line ${Number(line) - 1}, column ${column})`));
  }
}
