import type { Tool, ToolChoice } from '../../spec/index.js';
import { describe, invalid, isObject, optionalBoolean, optionalString, requireArray, requireObject, requireString } from './read-fields.js';

/** A function without `parameters` takes no arguments (OpenAI's documented default). */
const NO_PARAMETERS: Record<string, unknown> = { type: 'object', properties: {} };

/** `tools` (or the legacy `functions`) → spec tools. */
export function decodeTools(tools: unknown, functions: unknown): Tool[] | undefined {
  if (tools !== undefined && tools !== null) {
    return requireArray(tools, 'tools').map((item, index) => {
      const path = `tools[${index}]`;
      const tool = requireObject(item, path);
      if (tool.type !== 'function') throw invalid(`${path}.type`, `\`${path}.type\` must be \`function\`, got ${typeof tool.type === 'string' ? `\`${tool.type}\`` : describe(tool.type)}.`);
      return decodeFunction(tool.function, `${path}.function`);
    });
  }
  if (functions !== undefined && functions !== null) {
    return requireArray(functions, 'functions').map((item, index) => decodeFunction(item, `functions[${index}]`));
  }
  return undefined;
}

function decodeFunction(value: unknown, path: string): Tool {
  const definition = requireObject(value, path);
  const name = requireString(definition.name, `${path}.name`);
  if (name.length === 0) throw invalid(`${path}.name`, `\`${path}.name\` is empty.`);
  const description = optionalString(definition.description, `${path}.description`);
  const parameters = definition.parameters === undefined || definition.parameters === null ? NO_PARAMETERS : requireObject(definition.parameters, `${path}.parameters`);
  const strict = optionalBoolean(definition.strict, `${path}.strict`);
  return { name, parameters, ...(description === undefined ? {} : { description }), ...(strict === undefined ? {} : { strict }) };
}

/** `tool_choice` (or the legacy `function_call`) → spec tool choice. */
export function decodeToolChoice(toolChoice: unknown, functionCall: unknown): ToolChoice | undefined {
  if (toolChoice !== undefined && toolChoice !== null) return decodeChoice(toolChoice, 'tool_choice', true);
  if (functionCall !== undefined && functionCall !== null) return decodeChoice(functionCall, 'function_call', false);
  return undefined;
}

function decodeChoice(value: unknown, param: string, wrapped: boolean): ToolChoice {
  if (value === 'auto' || value === 'none') return { type: value };
  if (value === 'required' && wrapped) return { type: 'required' };
  if (!isObject(value)) throw invalid(param, `\`${param}\` must be ${wrapped ? '`auto`, `none`, `required`' : '`auto`, `none`'} or an object naming a function.`);
  if (!wrapped) return { type: 'tool', name: requireString(value.name, `${param}.name`) };
  if (value.type !== 'function') throw invalid(`${param}.type`, `\`${param}.type\` must be \`function\`.`);
  return { type: 'tool', name: requireString(requireObject(value.function, `${param}.function`).name, `${param}.function.name`) };
}
