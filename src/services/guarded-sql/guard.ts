import type { SqlParser } from './parser.js';

/**
 * What a model-written query may read: table (`schema.table`; a name without a schema is in
 * public) → columns (a `'*'` entry also allows `SELECT *` and `t.*` on that table), and the
 * functions it may call. A project's list comes from its semantic model (./model-access.ts).
 */
export type SqlAllowList = {
  tables: Readonly<Record<string, readonly string[]>>;
  functions: readonly string[];
  /**
   * Operators refused on top of the built-in list. runGuardedSql refuses the POSIX regular
   * expression operators on PGlite: nothing can cancel a match there, and the planner prices a
   * regex like any other operator, so the cost cap cannot bound one.
   */
  deniedOperators?: readonly string[];
};

/** `SqlCheck.normalized` is the one statement exactly as written (comments included), without a trailing `;`. */
export type SqlCheck = { ok: true; normalized: string } | { ok: false; reason: string };

/**
 * The functions guarded SQL may call: a few aggregate, date and text functions. EXTRACT(… FROM …)
 * is `extract`, `x AT TIME ZONE z` is `timezone`; NULLIF and CASE need no entry.
 */
export const GUARDED_SQL_FUNCTIONS: readonly string[] = [
  'count', 'sum', 'avg', 'min', 'max', 'round', 'coalesce', 'date_trunc', 'lower', 'upper', 'now', 'extract', 'timezone', 'greatest', 'least',
];

export const MAX_SQL_LENGTH = 10_000;
const MAX_NODES = 20_000;

/**
 * Never callable, whatever the allow-list says: functions that read or change server state or
 * settings, reach files, other servers or large objects, or run SQL given as text.
 */
const DENIED_FUNCTIONS = [
  /^pg_/, /^dblink/, /^lo_/, /^lo(read|write|open|close|creat|create|export|import|unlink|get|put|from_bytea|seek|seek64|tell|tell64|truncate|truncate64)$/,
  /^(set_config|current_setting|setseed)$/,
  /^(current_user|session_user|current_role|system_user|user|current_schema|current_schemas|current_database|current_catalog|current_query)$/,
  /^inet_(client|server)_/, /_to_xml/, /^xpath/, /^xml/, /^ts_(stat|rewrite)$/, /^(nextval|setval|currval|lastval)$/, /^txid_/,
  /^has_.*privilege$/, /^to_reg/, /^version$/, /^binary_upgrade_/, /^(brin|gin)_/,
];

/** Casts only to these (optionally written pg_catalog.…); reg* types, json and the like are refused. */
const ALLOWED_TYPES = new Set([
  'int2', 'int4', 'int8', 'smallint', 'integer', 'bigint', 'int', 'numeric', 'decimal', 'float4', 'float8', 'real',
  'bool', 'boolean', 'text', 'varchar', 'bpchar', 'char', 'date', 'time', 'timetz', 'timestamp', 'timestamptz', 'interval',
]);

const ALLOWED_OPERATORS = new Set([
  '=', '<>', '!=', '<', '>', '<=', '>=', '+', '-', '*', '/', '%', '^', '||',
  '~~', '~~*', '!~~', '!~~*', '~', '~*', '!~', '!~*',
  'BETWEEN', 'NOT BETWEEN', 'BETWEEN SYMMETRIC', 'NOT BETWEEN SYMMETRIC',
]);

const ALLOWED_SQL_VALUE_FUNCTIONS = new Set([
  'SVFOP_CURRENT_DATE', 'SVFOP_CURRENT_TIME', 'SVFOP_CURRENT_TIME_N', 'SVFOP_CURRENT_TIMESTAMP', 'SVFOP_CURRENT_TIMESTAMP_N',
  'SVFOP_LOCALTIME', 'SVFOP_LOCALTIME_N', 'SVFOP_LOCALTIMESTAMP', 'SVFOP_LOCALTIMESTAMP_N',
]);

/** Expression nodes with nothing to check themselves; their children are walked like everything else. */
const PLAIN_EXPRESSION_NODES = new Set([
  'BoolExpr', 'NullTest', 'BooleanTest', 'CaseExpr', 'CaseWhen', 'RowExpr', 'A_ArrayExpr', 'A_Indirection', 'A_Indices',
  'List', 'WindowDef', 'GroupingSet', 'GroupingFunc', 'NamedArgExpr', 'CollateClause', 'ResTarget',
]);

const LEAF_NODES = new Set(['A_Const', 'String', 'Integer', 'Float', 'Boolean', 'BitString', 'A_Star']);

const STATEMENT_NAMES: Record<string, string> = {
  InsertStmt: 'INSERT', UpdateStmt: 'UPDATE', DeleteStmt: 'DELETE', MergeStmt: 'MERGE', DropStmt: 'DROP', TruncateStmt: 'TRUNCATE',
  CopyStmt: 'COPY', DoStmt: 'DO', CallStmt: 'CALL', VariableSetStmt: 'SET', VariableShowStmt: 'SHOW', TransactionStmt: 'a transaction command',
  ExplainStmt: 'EXPLAIN', CreateStmt: 'CREATE TABLE', CreateTableAsStmt: 'CREATE TABLE AS', AlterTableStmt: 'ALTER TABLE', IndexStmt: 'CREATE INDEX',
  GrantStmt: 'GRANT', GrantRoleStmt: 'GRANT', CreateRoleStmt: 'CREATE ROLE', AlterRoleStmt: 'ALTER ROLE', CreateFunctionStmt: 'CREATE FUNCTION',
  LockStmt: 'LOCK', VacuumStmt: 'VACUUM', PrepareStmt: 'PREPARE', ExecuteStmt: 'EXECUTE', DeclareCursorStmt: 'DECLARE', FetchStmt: 'FETCH',
  ListenStmt: 'LISTEN', NotifyStmt: 'NOTIFY', LoadStmt: 'LOAD', RefreshMatViewStmt: 'REFRESH', ViewStmt: 'CREATE VIEW', DiscardStmt: 'DISCARD',
};

/**
 * Checks one model-written query with PostgreSQL's own parser. Accepts exactly one SELECT
 * (WITH … SELECT, UNION/INTERSECT/EXCEPT when every branch passes) that reads only allow-listed
 * tables and columns (or CTEs and subqueries built from them) and calls only allow-listed
 * functions, operators and casts. Every node of the parse tree is visited; a node type not
 * known to be harmless is refused. The result's reason is short, user-presentable English.
 *
 * The check is the first boundary, not the only one: execution (./execute.ts) adds a role with
 * column grants on the allow-listed tables only, row-level security, a statement timeout, a row
 * limit and a read-only transaction.
 */
export function checkSql(sql: string, allow: SqlAllowList, parser: SqlParser): SqlCheck {
  try {
    return { ok: true, normalized: check(sql, allow, parser) };
  } catch (error) {
    if (error instanceof Refusal) return { ok: false, reason: error.message };
    if (error instanceof RangeError) return { ok: false, reason: 'the query is too complex' }; // nesting past the stack
    throw error;
  }
}

/**
 * The statement runGuardedSql sends: the checked query as a subquery, so that the server, not
 * the query, decides how many rows come back. `limit` is the row limit: `$1`, or the number itself.
 */
export function guardedStatement(normalized: string, limit: '$1' | number = '$1'): string {
  if (limit !== '$1' && !Number.isSafeInteger(limit)) throw new RangeError('the row limit must be an integer');
  // The newlines end a trailing `--` comment inside the query before the closing parenthesis.
  return `SELECT * FROM (\n${normalized}\n) AS guarded LIMIT ${limit}`;
}

class Refusal extends Error {
  override name = 'Refusal';
}

function refuse(reason: string): never {
  throw new Refusal(reason);
}

type Obj = Record<string, unknown>;

const isObj = (value: unknown): value is Obj => typeof value === 'object' && value !== null && !Array.isArray(value);

/** libpg_query's JSON wraps each Node as `{ TypeName: { …fields } }`; typed struct fields are unwrapped. */
function nodeOf(value: unknown): [type: string, fields: Obj] | undefined {
  if (!isObj(value)) return undefined;
  const keys = Object.keys(value);
  if (keys.length !== 1 || !/^[A-Z]/.test(keys[0]!)) return undefined;
  const fields = value[keys[0]!];
  return isObj(fields) ? [keys[0]!, fields] : undefined;
}

/** A list of String nodes (names, qualified names). */
function names(value: unknown): string[] {
  if (!Array.isArray(value)) refuse('the query has an unexpected shape');
  return value.map((item) => {
    const node = nodeOf(item);
    if (node?.[0] !== 'String' || typeof node[1].sval !== 'string') refuse('the query has an unexpected shape');
    return node[1].sval;
  });
}


function check(sql: string, allow: SqlAllowList, parser: SqlParser): string {
  if (typeof sql !== 'string' || sql.trim() === '') refuse('the query is empty');
  if (sql.length > MAX_SQL_LENGTH) refuse(`the query is too long (at most ${MAX_SQL_LENGTH} characters)`);
  // The parser reads a C string: text after a NUL would be checked by nobody.
  if (sql.includes('\0')) refuse('the query contains a NUL character');

  const statement = singleStatement(parse(parser, sql));
  const [type, select] = nodeOf(statement.stmt) ?? ['unknown', {}];
  if (type !== 'SelectStmt') refuse(`only SELECT queries are allowed, not ${STATEMENT_NAMES[type] ?? 'this statement'}`);

  new Checker(allow).select(select, { levels: [], ctes: [], outputsVisible: false });

  // The statement's own text: locations are UTF-8 byte offsets; a length of 0 means "to the end".
  const bytes = new TextEncoder().encode(sql);
  const start = typeof statement.stmt_location === 'number' ? statement.stmt_location : 0;
  const length = typeof statement.stmt_len === 'number' && statement.stmt_len > 0 ? statement.stmt_len : bytes.length - start;
  const normalized = new TextDecoder().decode(bytes.subarray(start, start + length)).trim();

  // What runs is the query wrapped in a subquery: it must parse back to exactly the tree checked.
  const wrapped = singleStatement(parse(parser, guardedStatement(normalized)));
  const outer = nodeOf(wrapped.stmt);
  const from = outer?.[0] === 'SelectStmt' && Array.isArray(outer[1].fromClause) ? outer[1].fromClause : [];
  const subselect = from.length === 1 ? nodeOf(from[0]) : undefined;
  const limit = outer?.[1].limitCount;
  if (
    subselect?.[0] !== 'RangeSubselect' ||
    JSON.stringify(withoutLocations(subselect[1].subquery)) !== JSON.stringify(withoutLocations(statement.stmt)) ||
    JSON.stringify(withoutLocations(limit)) !== JSON.stringify({ ParamRef: { number: 1 } })
  ) {
    refuse('the query could not be checked safely');
  }
  return normalized;
}

function parse(parser: SqlParser, sql: string): unknown {
  try {
    return parser.parse(sql);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    refuse(`the query is not valid SQL: ${message.slice(0, 200)}`);
  }
}

function singleStatement(tree: unknown): Obj {
  const stmts = isObj(tree) ? tree.stmts : undefined;
  if (!Array.isArray(stmts) || stmts.length === 0) refuse('the query is empty');
  if (stmts.length > 1) refuse('only one statement is allowed');
  const statement = stmts[0];
  if (!isObj(statement)) refuse('the query has an unexpected shape');
  return statement;
}

/** Offsets into the text (`location`, PostgreSQL 18's `rexpr_list_start`, …) differ once wrapped; nothing else may. */
const OFFSET_FIELD = /^(location|stmt_location|stmt_len)$|_(location|start|end)$/;

function withoutLocations(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutLocations);
  if (!isObj(value)) return value;
  const copy: Obj = {};
  for (const [key, child] of Object.entries(value)) if (!(OFFSET_FIELD.test(key) && typeof child === 'number')) copy[key] = withoutLocations(child);
  return copy;
}

/**
 * Something a column reference can resolve to: an allow-listed table, or a derived relation
 * (CTE, subquery, set operation) whose output names we know. `columns` holds only names the
 * relation certainly has (unknown ones are ''), so that "this item provides c" is never wrong
 * in the dangerous direction; null when nothing is known.
 */
type Item = {
  /** The name that qualifies its columns: the alias, else the table or CTE name. */
  name: string | undefined;
  /** The allow-listed table, for tables. */
  table: string | undefined;
  /** An unaliased table, which `public.table.column` may name. */
  qualifiable: boolean;
  columns: readonly string[] | null;
  /** Whether `*` may expand it. */
  star: boolean;
};

/** One query level's FROM items; `outputs` are its select-list names (for ORDER BY / GROUP BY). */
type Level = { items: readonly Item[]; outputs: readonly string[] };

type CteFrame = Map<string, readonly string[] | null>;

type Scope = {
  /** Innermost last. */
  levels: readonly Level[];
  ctes: readonly CteFrame[];
  /** ORDER BY, GROUP BY and DISTINCT ON may also name the select list's output columns. */
  outputsVisible: boolean;
};

type Outputs = readonly string[] | null;

class Checker {
  /** `schema.table` → allowed columns. */
  private readonly tables: ReadonlyMap<string, readonly string[]>;
  private readonly functions: ReadonlySet<string>;
  private readonly deniedOperators: ReadonlySet<string>;
  private nodes = 0;

  constructor(allow: SqlAllowList) {
    this.tables = new Map(Object.entries(allow.tables).map(([name, columns]) => [name.includes('.') ? name : `public.${name}`, columns]));
    this.functions = new Set(allow.functions);
    this.deniedOperators = new Set(allow.deniedOperators ?? []);
  }

  private tick(): void {
    if (++this.nodes > MAX_NODES) refuse('the query is too complex');
  }

  /** Checks a SELECT (any form) and returns its output column names. */
  select(s: Obj, outer: Scope): Outputs {
    this.tick();
    if (s.intoClause) refuse('SELECT INTO is not allowed');
    if (s.lockingClause) refuse('SELECT … FOR UPDATE/SHARE is not allowed');
    const scope = s.withClause ? this.withClause(s.withClause, outer) : outer;
    const handled = new Set(['withClause', 'op', 'all', 'larg', 'rarg', 'valuesLists', 'fromClause', 'targetList', 'whereClause', 'groupClause', 'groupDistinct', 'havingClause', 'windowClause', 'distinctClause', 'sortClause', 'limitCount', 'limitOffset', 'limitOption']);

    let outputs: Outputs;
    let level: Level;
    if (typeof s.op === 'string' && s.op !== 'SETOP_NONE') {
      // UNION / INTERSECT / EXCEPT: every branch is checked; names come from the left one.
      outputs = this.select(selectOf(s.larg), scope);
      this.select(selectOf(s.rarg), scope);
      level = { items: [{ name: undefined, table: undefined, qualifiable: false, columns: outputs, star: true }], outputs: outputs ?? [] };
    } else if (s.valuesLists !== undefined) {
      if (!Array.isArray(s.valuesLists)) refuse('the query has an unexpected shape');
      this.expression(s.valuesLists, scope);
      const first = nodeOf(s.valuesLists[0]);
      const width = first?.[0] === 'List' && Array.isArray(first[1].items) ? first[1].items.length : 0;
      outputs = Array.from({ length: width }, (_, i) => `column${i + 1}`);
      level = { items: [], outputs: [] };
    } else {
      const items = this.fromList(s.fromClause, scope);
      const current: { items: readonly Item[]; outputs: readonly string[] } = { items, outputs: [] };
      const inner: Scope = { ...scope, levels: [...scope.levels, current], outputsVisible: false };
      outputs = this.targetList(s.targetList, inner);
      current.outputs = (outputs ?? []).filter((name) => name !== '');
      level = current;
      this.expression(s.whereClause, inner);
      this.expression(s.havingClause, inner);
      this.expression(s.windowClause, inner);
      this.expression(s.groupClause, { ...inner, outputsVisible: true });
      this.expression(s.distinctClause, { ...inner, outputsVisible: true });
    }
    const final: Scope = { ...scope, levels: [...scope.levels, level], outputsVisible: true };
    this.expression(s.sortClause, final);
    this.expression(s.limitCount, { ...final, outputsVisible: false });
    this.expression(s.limitOffset, { ...final, outputsVisible: false });
    // Fields this checker does not know (a newer grammar) are still walked.
    for (const [key, value] of Object.entries(s)) if (!handled.has(key)) this.expression(value, { ...final, outputsVisible: false });
    return outputs;
  }

  /** WITH: each CTE sees the ones before it (PostgreSQL's rule without RECURSIVE); the query sees all. */
  private withClause(value: unknown, outer: Scope): Scope {
    if (!isObj(value) || !Array.isArray(value.ctes)) refuse('the query has an unexpected shape');
    if (value.recursive) refuse('WITH RECURSIVE is not allowed');
    const frame: CteFrame = new Map();
    const scope: Scope = { ...outer, ctes: [...outer.ctes, frame] };
    for (const entry of value.ctes) {
      const node = nodeOf(entry);
      if (node?.[0] !== 'CommonTableExpr') refuse('the query has an unexpected shape');
      const cte = node[1];
      if (cte.search_clause || cte.cycle_clause) refuse('SEARCH and CYCLE are not allowed');
      const query = nodeOf(cte.ctequery);
      if (query?.[0] !== 'SelectStmt') refuse('only SELECT is allowed inside WITH');
      const outputs = this.select(query[1], { ...scope, outputsVisible: false });
      if (typeof cte.ctename !== 'string') refuse('the query has an unexpected shape');
      frame.set(cte.ctename, renamed(outputs, cte.aliascolnames));
      for (const [key, child] of Object.entries(cte)) {
        if (!['ctename', 'aliascolnames', 'ctematerialized', 'ctequery', 'location'].includes(key)) this.expression(child, scope);
      }
    }
    return scope;
  }

  private fromList(list: unknown, scope: Scope): Item[] {
    if (list === undefined) return [];
    if (!Array.isArray(list)) refuse('the query has an unexpected shape');
    return list.flatMap((entry) => this.fromItem(entry, scope));
  }

  /** One FROM entry; `scope` does not hold the level being built (no LATERAL). */
  private fromItem(entry: unknown, scope: Scope): Item[] {
    this.tick();
    const node = nodeOf(entry);
    if (!node) refuse('the query has an unexpected shape');
    const [type, n] = node;
    switch (type) {
      case 'RangeVar':
        return [this.relation(n, scope)];
      case 'RangeSubselect': {
        if (n.lateral) refuse('LATERAL is not allowed');
        const outputs = this.select(selectOf(n.subquery), { ...scope, outputsVisible: false });
        const alias = isObj(n.alias) ? n.alias : undefined;
        const name = typeof alias?.aliasname === 'string' ? alias.aliasname : undefined;
        return [{ name, table: undefined, qualifiable: false, columns: renamed(outputs, alias?.colnames), star: true }];
      }
      case 'JoinExpr': {
        if (n.isNatural) refuse('NATURAL JOIN is not allowed; use JOIN … ON');
        if (n.alias || n.join_using_alias) refuse('an alias on a JOIN is not allowed');
        const left = this.fromItem(n.larg, scope);
        const right = this.fromItem(n.rarg, scope);
        const items = [...left, ...right];
        if (n.usingClause !== undefined) {
          for (const column of names(n.usingClause)) {
            for (const side of [left, right]) {
              if (!side.some((item) => item.columns?.includes(column))) refuse(`the column ${column} is not allowed in JOIN … USING`);
            }
          }
        }
        this.expression(n.quals, { ...scope, levels: [...scope.levels, { items, outputs: [] }], outputsVisible: false });
        for (const [key, value] of Object.entries(n)) {
          if (!['jointype', 'isNatural', 'larg', 'rarg', 'usingClause', 'quals', 'rtindex'].includes(key)) this.expression(value, scope);
        }
        return items;
      }
      case 'RangeFunction':
        return refuse('functions in FROM are not allowed');
      case 'RangeTableSample':
        return refuse('TABLESAMPLE is not allowed');
      default:
        return refuse(`${describe(type)} in FROM is not allowed`);
    }
  }

  private relation(r: Obj, scope: Scope): Item {
    const relname = typeof r.relname === 'string' ? r.relname : refuse('the query has an unexpected shape');
    const schema = typeof r.schemaname === 'string' ? r.schemaname : undefined;
    const alias = isObj(r.alias) ? r.alias : undefined;
    const aliasName = typeof alias?.aliasname === 'string' ? alias.aliasname : undefined;
    if (r.catalogname) refuse('database-qualified table names are not allowed');
    if (schema === undefined) {
      // An unqualified name is a CTE when one is in scope (a qualified one never is).
      for (let i = scope.ctes.length - 1; i >= 0; i--) {
        const frame = scope.ctes[i]!;
        if (frame.has(relname)) {
          return { name: aliasName ?? relname, table: undefined, qualifiable: false, columns: renamed(frame.get(relname) ?? null, alias?.colnames), star: true };
        }
      }
    }
    if (schema !== undefined && isSystemSchema(schema)) refuse('system catalogs are not allowed');
    if (relname.startsWith('pg_')) refuse('system catalogs are not allowed');
    // Unqualified names resolve in public: runGuardedSql sets search_path to pg_catalog, public, pg_temp.
    const key = `${schema ?? 'public'}.${relname}`;
    if (!this.tables.has(key)) {
      if (schema !== undefined && ![...this.tables.keys()].some((k) => k.startsWith(`${schema}.`))) refuse(`the schema ${schema} is not allowed`);
      refuse(`the table ${relname} is not allowed`);
    }
    if (alias?.colnames !== undefined) refuse('column aliases on a table are not allowed');
    const allowed = this.tables.get(key) ?? [];
    return {
      name: aliasName ?? relname,
      table: relname,
      qualifiable: aliasName === undefined,
      columns: allowed.filter((column) => column !== '*'),
      star: allowed.includes('*'),
    };
  }

  /** The select list: checks each entry and returns the output names. */
  private targetList(list: unknown, scope: Scope): Outputs {
    if (list === undefined) return [];
    if (!Array.isArray(list)) refuse('the query has an unexpected shape');
    const outputs: string[] = [];
    let known = true;
    for (const entry of list) {
      this.tick();
      const node = nodeOf(entry);
      if (node?.[0] !== 'ResTarget') refuse('the query has an unexpected shape');
      const target = node[1];
      const column = nodeOf(target.val);
      const fields = column?.[0] === 'ColumnRef' ? column[1].fields : undefined;
      if (Array.isArray(fields) && nodeOf(fields.at(-1))?.[0] === 'A_Star') {
        const expanded = this.star(fields, scope);
        if (expanded === null) known = false;
        else outputs.push(...expanded);
      } else {
        this.expression(target.val, scope);
        outputs.push(typeof target.name === 'string' ? target.name : inferredName(target.val));
      }
      for (const [key, value] of Object.entries(target)) if (!['name', 'val', 'location'].includes(key)) this.expression(value, scope);
    }
    return known ? outputs : null;
  }

  /** `*`, `t.*` or `public.t.*`: allowed on derived relations and on tables whose allow-list has '*'. */
  private star(fields: unknown[], scope: Scope): Outputs {
    const qualifier = names(fields.slice(0, -1));
    const level = scope.levels.at(-1);
    let items: readonly Item[];
    if (qualifier.length === 0) items = level?.items ?? [];
    else items = [this.qualified(qualifier, scope)];
    const columns: string[] = [];
    let known = true;
    for (const item of items) {
      if (item.table !== undefined && !item.star) refuse(`SELECT * is not allowed on ${item.table}; name the columns`);
      if (item.columns === null) known = false;
      else columns.push(...item.columns);
    }
    return known ? columns : null;
  }

  /** The FROM item a qualifier names: `t` (alias or name) or `public.t` (an unaliased table). */
  private qualified(qualifier: string[], scope: Scope): Item {
    if (qualifier.length > 2) refuse('the query has an unexpected column reference');
    const [first, second] = qualifier;
    for (let i = scope.levels.length - 1; i >= 0; i--) {
      for (const item of scope.levels[i]!.items) {
        if (second === undefined ? item.name === first : first === 'public' && item.qualifiable && item.table === second) return item;
      }
    }
    return refuse(`unknown table or alias ${qualifier.join('.')}`);
  }

  private columnRef(n: Obj, scope: Scope): void {
    const fields = Array.isArray(n.fields) ? n.fields : refuse('the query has an unexpected shape');
    if (nodeOf(fields.at(-1))?.[0] === 'A_Star') {
      this.star(fields, scope);
      return;
    }
    const parts = names(fields);
    const column = parts.at(-1)!;
    if (parts.length === 1) return this.bareColumn(column, scope);
    const item = this.qualified(parts.slice(0, -1), scope);
    if (!item.columns?.includes(column)) {
      refuse(item.table !== undefined ? `the column ${column} of ${item.table} is not allowed` : `unknown column ${parts.join('.')}`);
    }
  }

  /**
   * An unqualified column resolves, like PostgreSQL does, at the innermost level where some FROM
   * item has it. Refused when that could be a column of a table that is not allow-listed: a
   * level with a table but no item known to have the name.
   */
  private bareColumn(column: string, scope: Scope): void {
    for (let i = scope.levels.length - 1; i >= 0; i--) {
      const level = scope.levels[i]!;
      if (i === scope.levels.length - 1 && scope.outputsVisible && level.outputs.includes(column)) return;
      if (level.items.some((item) => item.columns?.includes(column))) return;
      const table = level.items.find((item) => item.table !== undefined);
      if (table) refuse(`the column ${column} of ${table.table} is not allowed`);
    }
    refuse(`unknown column ${column}`);
  }

  private functionCall(n: Obj): void {
    const name = names(n.funcname);
    let bare: string;
    if (name.length === 1) bare = name[0]!;
    // EXTRACT(…), x AT TIME ZONE …, SUBSTRING(… FROM …): the grammar itself writes pg_catalog.
    else if (name.length === 2 && name[0] === 'pg_catalog' && n.funcformat === 'COERCE_SQL_SYNTAX') bare = name[1]!;
    else refuse(`schema-qualified function names are not allowed (${name.join('.')})`);
    this.function(bare);
  }

  private function(name: string): void {
    if (DENIED_FUNCTIONS.some((pattern) => pattern.test(name)) || !this.functions.has(name)) refuse(`the function ${name} is not allowed`);
  }

  private operator(value: unknown): void {
    const name = names(value);
    if (name.length !== 1) refuse('schema-qualified operators are not allowed');
    if (!ALLOWED_OPERATORS.has(name[0]!) || this.deniedOperators.has(name[0]!)) refuse(`the operator ${name[0]} is not allowed`);
  }

  private typeName(value: unknown, scope: Scope): void {
    if (!isObj(value)) refuse('the query has an unexpected shape');
    const name = names(value.names);
    const bare = name.length === 2 && name[0] === 'pg_catalog' ? name[1]! : name.length === 1 ? name[0]! : undefined;
    if (value.setof || value.pct_type || bare === undefined || !ALLOWED_TYPES.has(bare)) refuse(`the type ${bare ?? name.join('.')} is not allowed`);
    this.expression(value.typmods, scope);
    this.expression(value.arrayBounds, scope);
  }

  /** Any value of the tree in expression position: every node is visited. */
  expression(value: unknown, scope: Scope): void {
    if (value === null || typeof value !== 'object') return;
    if (Array.isArray(value)) {
      for (const item of value) this.expression(item, scope);
      return;
    }
    const node = nodeOf(value);
    if (!node) {
      // An unwrapped struct (a typed field): its fields are walked like a node's.
      if ('relname' in value) refuse('tables may only be read in FROM');
      this.fields(value as Obj, scope, []);
      return;
    }
    this.tick();
    const [type, n] = node;
    switch (type) {
      case 'ColumnRef':
        return this.columnRef(n, scope);
      case 'FuncCall':
        this.functionCall(n);
        return this.fields(n, scope, ['funcname']);
      case 'A_Expr':
        this.operator(n.name);
        return this.fields(n, scope, ['name']);
      case 'TypeCast':
        return this.fields(n, scope, []);
      case 'SubLink': {
        if (n.operName !== undefined) this.operator(n.operName);
        this.select(selectOf(n.subselect), { ...scope, outputsVisible: false });
        return this.fields(n, scope, ['operName', 'subselect']);
      }
      case 'SortBy':
        if (n.useOp !== undefined) this.operator(n.useOp);
        return this.fields(n, scope, ['useOp']);
      case 'CoalesceExpr':
        this.function('coalesce');
        return this.fields(n, scope, []);
      case 'MinMaxExpr':
        this.function(n.op === 'IS_GREATEST' ? 'greatest' : 'least');
        return this.fields(n, scope, []);
      case 'SQLValueFunction':
        if (!ALLOWED_SQL_VALUE_FUNCTIONS.has(String(n.op))) refuse(`${String(n.op).replace(/^SVFOP_/, '').replace(/_N$/, '')} is not allowed`);
        return;
      case 'SelectStmt':
        this.select(n, { ...scope, outputsVisible: false });
        return;
      case 'ParamRef':
        return refuse('query parameters ($1, …) are not allowed');
      case 'RangeVar':
        return refuse('tables may only be read in FROM');
      default:
        if (LEAF_NODES.has(type)) return;
        if (!PLAIN_EXPRESSION_NODES.has(type)) refuse(`${describe(type)} is not allowed`);
        return this.fields(n, scope, []);
    }
  }

  private fields(n: Obj, scope: Scope, skip: readonly string[]): void {
    for (const [key, value] of Object.entries(n)) {
      if (skip.includes(key)) continue;
      if (key === 'typeName') this.typeName(value, scope);
      else if (key === 'withClause' || key === 'intoClause') refuse('the query has an unexpected shape');
      else this.expression(value, scope);
    }
  }
}

/** A SELECT given as a Node or, for typed fields such as larg/rarg, as an unwrapped struct. */
function selectOf(value: unknown): Obj {
  const node = nodeOf(value);
  if (node) return node[0] === 'SelectStmt' ? node[1] : refuse('only SELECT is allowed in subqueries');
  if (isObj(value) && !('relname' in value)) return value;
  return refuse('the query has an unexpected shape');
}

/** Output names after `AS alias(a, b)`: the first names replaced. */
function renamed(outputs: Outputs, aliases: unknown): Outputs {
  if (aliases === undefined) return outputs;
  const given = names(aliases);
  if (outputs === null) return given;
  return [...given, ...outputs.slice(given.length)];
}

/**
 * The name PostgreSQL gives an unaliased select-list entry, where we are sure of it; '' (never
 * a valid identifier) otherwise, so an unknown name is never assumed.
 */
function inferredName(value: unknown): string {
  const node = nodeOf(value);
  if (!node) return '';
  const [type, n] = node;
  if (type === 'ColumnRef' && Array.isArray(n.fields)) {
    const last = nodeOf(n.fields.at(-1));
    return last?.[0] === 'String' && typeof last[1].sval === 'string' ? last[1].sval : '';
  }
  if (type === 'FuncCall' && Array.isArray(n.funcname)) {
    const last = nodeOf(n.funcname.at(-1));
    return last?.[0] === 'String' && typeof last[1].sval === 'string' ? last[1].sval : '';
  }
  if (type === 'TypeCast') return inferredName(n.arg);
  return '';
}

function isSystemSchema(schema: string): boolean {
  return schema === 'information_schema' || schema.startsWith('pg_');
}

function describe(type: string): string {
  if (type.startsWith('Xml')) return 'XML syntax';
  if (type.startsWith('Json')) return 'JSON syntax';
  if (type === 'RangeTableFunc') return 'XMLTABLE';
  return `this syntax (${type})`;
}
