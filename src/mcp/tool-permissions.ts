import type { McpPermissions } from '../config/mcp-schema.js';
import type { Principal, ToolRules } from '../pipeline/context.js';
import { compilePattern, firstMatch, type ToolPattern } from './tool-patterns.js';

/** Why a tool is refused, as the caller reads it. */
export type Refusal = { readonly allowed: false; readonly reason: string };
export type Verdict = { readonly allowed: true } | Refusal;

/** One level's rules (a key, its team or its customer), compiled. */
interface LevelRules {
  /** `virtual key "k1"`, `team "t1"`, … */
  readonly label: string;
  readonly allow: readonly ToolPattern[];
  readonly block: readonly ToolPattern[];
}

/**
 * The MCP tool permissions of every configured key, team and customer, compiled at start-up (and
 * on reload). A key's effective set is (its `allow` patterns ∪ the tools of its groups) minus its
 * `block` patterns, intersected with its team's and customer's sets when they have an `mcp`
 * section; a key with no `mcp` section may use no tool.
 */
export class ToolPermissions {
  private readonly keys = new Map<string, LevelRules>();
  private readonly teams = new Map<string, LevelRules>();
  private readonly customers = new Map<string, LevelRules>();
  private readonly groups: ReadonlyMap<string, readonly ToolPattern[]>;
  private readonly keyGroups = new Map<string, ReadonlySet<string>>();
  /** The rules a principal carries (keys, teams and customers of the admin API), compiled once per stored record. */
  private readonly carried = new WeakMap<ToolRules, LevelRules>();

  constructor(config: {
    groups: Readonly<Record<string, readonly string[]>>;
    virtual_keys: readonly { id: string; mcp?: McpPermissions | undefined }[];
    teams: readonly { id: string; mcp?: McpPermissions | undefined }[];
    customers: readonly { id: string; mcp?: McpPermissions | undefined }[];
  }) {
    this.groups = new Map(Object.entries(config.groups).map(([name, patterns]) => [name, patterns.map(compilePattern)]));
    for (const key of config.virtual_keys) {
      if (key.mcp === undefined) continue;
      this.keys.set(key.id, this.rules(`virtual key "${key.id}"`, key.mcp));
      this.keyGroups.set(key.id, new Set(key.mcp.groups));
    }
    for (const team of config.teams) if (team.mcp !== undefined) this.teams.set(team.id, this.rules(`team "${team.id}"`, team.mcp));
    for (const customer of config.customers) if (customer.mcp !== undefined) this.customers.set(customer.id, this.rules(`customer "${customer.id}"`, customer.mcp));
  }

  /** Whether `group` is configured. */
  hasGroup(group: string): boolean {
    return this.groups.has(group);
  }

  /** Whether the caller's key has `group` among its groups. */
  keyHasGroup(principal: Principal | undefined, group: string): boolean {
    if (principal === undefined) return false;
    if (principal.mcp !== undefined) return principal.mcp.key?.groups.includes(group) ?? false;
    return this.keyGroups.get(principal.keyId)?.has(group) ?? false;
  }

  /** Whether the caller may use `tool` (`<server>__<tool>`), and if not, which rule refuses it. */
  check(principal: Principal | undefined, tool: string): Verdict {
    if (principal === undefined) return { allowed: false, reason: `Tool \`${tool}\` is not allowed: MCP tools need a virtual key with an \`mcp\` section.` };
    // A principal that carries its rules (governance reads them from the stored key, team and customer) is judged by them.
    const carried = principal.mcp;
    const key = carried === undefined ? this.keys.get(principal.keyId) : this.carriedRules(carried.key, `virtual key "${principal.keyId}"`);
    if (key === undefined) return { allowed: false, reason: `Tool \`${tool}\` is not allowed: virtual key "${principal.keyId}" has no \`mcp\` section (deny by default).` };
    const levels = [key];
    const team = principal.teamId === undefined ? undefined : carried === undefined ? this.teams.get(principal.teamId) : this.carriedRules(carried.team, `team "${principal.teamId}"`);
    if (team !== undefined) levels.push(team);
    const customer = principal.customerId === undefined ? undefined : carried === undefined ? this.customers.get(principal.customerId) : this.carriedRules(carried.customer, `customer "${principal.customerId}"`);
    if (customer !== undefined) levels.push(customer);
    for (const level of levels) {
      const blocked = firstMatch(level.block, tool);
      if (blocked !== undefined) return { allowed: false, reason: `Tool \`${tool}\` is blocked by ${blocked.text} (${level.label}).` };
      if (firstMatch(level.allow, tool) === undefined) return { allowed: false, reason: `Tool \`${tool}\` is not allowed: not in the allow patterns or groups of ${level.label}.` };
    }
    return { allowed: true };
  }

  /** Whether `tool` is one of `group`'s tools. */
  inGroup(group: string, tool: string): boolean {
    return firstMatch(this.groups.get(group) ?? [], tool) !== undefined;
  }

  private carriedRules(rules: ToolRules | undefined, label: string): LevelRules | undefined {
    if (rules === undefined) return undefined;
    let compiled = this.carried.get(rules);
    if (compiled === undefined || compiled.label !== label) {
      compiled = this.rules(label, rules);
      this.carried.set(rules, compiled);
    }
    return compiled;
  }

  private rules(label: string, permissions: ToolRules): LevelRules {
    const allow = permissions.allow.map(compilePattern);
    // A group's tools join the allow patterns; an unknown group adds nothing (the config check names it).
    for (const group of permissions.groups) allow.push(...(this.groups.get(group) ?? []));
    return { label, allow, block: permissions.block.map(compilePattern) };
  }
}
