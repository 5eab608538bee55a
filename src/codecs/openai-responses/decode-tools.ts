import { GatewayError, type Tool, type ToolChoice } from '../../spec/index.js';
import { describe, invalid, isObject, optionalBoolean, optionalString, requireArray, requireObject, requireString } from '../openai-chat/read-fields.js';
import { NO_PARAMETERS } from './wire.js';

/**
 * `tools` of a Responses body → spec tools. Function tools are flat here (`{type, name,
 * parameters}`), not nested under `function` as in Chat Completions. Built-in tools (web search,
 * file search, code interpreter, …) run on OpenAI's side, which no other provider can do.
 */
export function decodeResponsesTools(value: unknown): Tool[] | undefined {
  if (value === undefined || value === null) return undefined;
  return requireArray(value, 'tools').map((item, index) => {
    const path = `tools[${index}]`;
    const tool = requireObject(item, path);
    if (tool.type !== 'function') {
      throw new GatewayError(
        'unsupported_parameter',
        `\`${path}.type\` ${typeof tool.type === 'string' ? `\`${tool.type}\`` : describe(tool.type)} is not supported: Tollgate runs no built-in tools; declare it as a \`function\` tool and run it yourself.`,
        { param: `${path}.type` },
      );
    }
    const name = requireString(tool.name, `${path}.name`);
    if (name.length === 0) throw invalid(`${path}.name`, `\`${path}.name\` is empty.`);
    const description = optionalString(tool.description, `${path}.description`);
    const parameters = tool.parameters === undefined || tool.parameters === null ? NO_PARAMETERS : requireObject(tool.parameters, `${path}.parameters`);
    // OpenAI treats an omitted `strict` as true on this API; other providers would reject schemas
    // that are not strict-ready, so only an explicit value is carried.
    const strict = optionalBoolean(tool.strict, `${path}.strict`);
    return { name, parameters, ...(description === undefined ? {} : { description }), ...(strict === undefined ? {} : { strict }) };
  });
}

/** `tool_choice`: `auto` | `none` | `required` | `{type: 'function', name}`. */
export function decodeResponsesToolChoice(value: unknown): ToolChoice | undefined {
  if (value === undefined || value === null) return undefined;
  if (value === 'auto' || value === 'none' || value === 'required') return { type: value };
  if (!isObject(value)) throw invalid('tool_choice', '`tool_choice` must be `auto`, `none`, `required` or `{"type": "function", "name": …}`.');
  if (value.type === 'function') return { type: 'tool', name: requireString(value.name, 'tool_choice.name') };
  throw new GatewayError('unsupported_parameter', `\`tool_choice.type\` ${typeof value.type === 'string' ? `\`${value.type}\`` : describe(value.type)} is not supported; use \`function\` with a name, or auto, none, required.`, { param: 'tool_choice.type' });
}
