import { describe, expect, it } from 'vitest';
import { compileQuery, MAX_BREAKDOWN_GROUPS, MAX_SERIES_BUCKETS, SemanticCompileError, type CompileContext } from '../src/services/semantic-model/compile.js';
import { IDENTIFIER, semanticModelSchema, splitTableName, type ModelDef, type SemanticModel, type SemanticQuery } from '../src/services/semantic-model/schema.js';
import { enumerateQueries, loadModel } from './support/semantic-queries.js';

/**
 * The compiler's SQL is checked by properties, not snapshots: each physical table is read only
 * inside a subquery that applies its own tenancy with the tenant bound as a parameter; no value
 * ever becomes SQL text; every identifier is quoted and was an identifier to begin with.
 */

const PROJECTS: Record<string, SemanticModel> = {
  ventas: loadModel('test/fixtures/models/ventas.yaml'),
  crm: loadModel('test/fixtures/models/crm.yaml'),
  demo: loadModel('models/demo.yaml'),
};
const NOW = new Date('2026-05-15T12:00:00Z');
const ctx = (tenant: string | number): CompileContext => ({ tenant, now: NOW, timeZone: 'Europe/Madrid' });

/** The text of the parenthesised group that encloses `index`, without its parentheses. */
function enclosingGroup(sql: string, index: number): { start: number; end: number; text: string } {
  let depth = 0;
  let start = -1;
  for (let i = index; i >= 0; i--) {
    if (sql[i] === ')') depth++;
    else if (sql[i] === '(') {
      if (depth === 0) {
        start = i;
        break;
      }
      depth--;
    }
  }
  if (start < 0) return { start: -1, end: sql.length, text: sql };
  depth = 0;
  for (let i = start + 1; i < sql.length; i++) {
    if (sql[i] === '(') depth++;
    else if (sql[i] === ')') {
      if (depth === 0) return { start, end: i, text: sql.slice(start + 1, i) };
      depth--;
    }
  }
  throw new Error('unbalanced parentheses');
}

/** `"col" = $n` comparisons in a text whose parameter is the tenant. */
function comparesTenant(text: string, column: string, params: unknown[], tenant: unknown): boolean {
  const pattern = new RegExp(`(?:\\b[a-z0-9_]+\\.)?"${column}" = \\$(\\d+)`, 'g');
  return [...text.matchAll(pattern)].some((m) => params[Number(m[1]) - 1] === tenant);
}

/** Asserts that every read of a physical table applies that model's tenancy for `tenant`. */
function expectTenancyPerTable(project: SemanticModel, sql: string, params: unknown[], tenant: unknown): void {
  const byTable = new Map(project.models.map((m) => {
    const { schema, table } = splitTableName(m.table);
    return [`"${schema}"."${table}"`, m];
  }));
  const reads = [...sql.matchAll(/(FROM|JOIN) ("[a-z0-9_]+"\."[a-z0-9_]+")/g)];
  expect(reads.length).toBeGreaterThan(0);
  for (const read of reads) {
    const table = read[2] ?? '';
    const model = byTable.get(table);
    expect(model, `${table} is a model's table`).toBeDefined();
    if (!model) continue;
    const group = enclosingGroup(sql, read.index ?? 0);
    // Never read at the top level, where an outer WHERE would be the only filter.
    expect(group.start, `${table} is read inside a subquery`).toBeGreaterThanOrEqual(0);
    const tenancy = model.tenancy;
    if ('column' in tenancy) {
      expect(comparesTenant(group.text, tenancy.column, params, tenant), `${table} filtered on ${tenancy.column} = tenant in: ${group.text}`).toBe(true);
    } else if ('via' in tenancy) {
      const join = model.joins.find((j) => j.name === tenancy.via);
      const parent = project.models.find((m) => m.name === join?.model);
      if (!join || !parent || !('column' in parent.tenancy)) throw new Error('fixture: via reaches a tenant column');
      const { schema, table: parentTable } = splitTableName(parent.table);
      expect(group.text).toContain('EXISTS (');
      expect(group.text).toContain(`"${schema}"."${parentTable}"`);
      expect(group.text).toContain(`"${join.foreign_key}"`);
      expect(comparesTenant(group.text, parent.tenancy.column, params, tenant), `${table} restricted via ${parent.name}`).toBe(true);
    } else {
      // shared / database per project: read whole, but still only the exposed columns.
      expect(group.text).not.toMatch(/\$\d+/);
    }
    if (!('via' in tenancy) || read[1] === 'FROM') {
      // The subquery projects exactly the model's exposed columns, or (the EXISTS probe) nothing.
      const projected = group.text.match(/^SELECT (.*?) FROM /)?.[1];
      if (projected !== '1') expect(projected).toBe(model.columns.map((c) => `"${c}"`).join(', '));
    }
  }
}

/** Words the compiler may write itself; anything else in the SQL must be quoted or bound. */
const SQL_WORDS = new Set(
  ('SELECT FROM WHERE AND AS LEFT JOIN ON GROUP BY ORDER ASC DESC NULLS LAST LIMIT count sum avg min max coalesce ' +
    'DISTINCT IN NOT EXISTS date_trunc to_char AT TIME ZONE timestamptz make_interval days int interval IS NULL v o 0 1 2 WITH data generate_series lo hi b n r g s d').split(' '),
);
const SQL_LITERALS = ["'YYYY-MM-DD'", `'YYYY-MM-DD"T"HH24:MI'`, "'day'", "'week'", "'month'", "'quarter'", "'year'", "'1 day'"];

function expectOnlyQuotedNamesAndParameters(sql: string): void {
  let rest = sql;
  for (const literal of SQL_LITERALS) rest = rest.split(literal).join(' ');
  expect(rest, 'no other string literal').not.toContain("'");
  const quoted = [...rest.matchAll(/"([^"]*)"/g)].map((m) => m[1] ?? '');
  for (const name of quoted) for (const part of name.split('.')) expect(part).toMatch(IDENTIFIER);
  rest = rest.replace(/"[^"]*"/g, ' ').replace(/\$\d+/g, ' ').replace(/\bt\d+\b/g, ' ');
  const words = rest.split(/[\s(),.=<>*:+-]+/).filter(Boolean);
  for (const word of words) expect(SQL_WORDS, `unexpected SQL word ${word} in ${sql}`).toContain(word);
}

describe.each(Object.entries(PROJECTS))('compiling every query shape of the %s model', (_name, project) => {
  const queries = enumerateQueries(project);

  it('has a broad set of queries to compile (every shape)', () => {
    expect(queries.length).toBeGreaterThan(40);
    expect(queries.some((q) => q.latest)).toBe(true);
    expect(queries.some((q) => q.series)).toBe(true);
    if (project.models.some((m) => m.joins.length)) expect(queries.some((q) => q.group_by?.includes('.'))).toBe(true);
  });

  for (const tenant of [7, 'acme']) {
    it(`applies each model's tenancy to each physical table it reads (tenant ${JSON.stringify(tenant)})`, () => {
      for (const query of queries) {
        const compiled = compileQuery(project, query, ctx(tenant));
        expectTenancyPerTable(project, compiled.sql, compiled.params, tenant);
      }
    });
  }

  it('writes only its own SQL words, quoted identifiers and $n placeholders', () => {
    for (const query of queries) expectOnlyQuotedNamesAndParameters(compileQuery(project, query, ctx(1)).sql);
  });

  it('bounds every row-returning shape', () => {
    for (const query of queries) {
      const compiled = compileQuery(project, query, ctx(1));
      if (compiled.shape === 'aggregate') {
        expect(compiled.sql).not.toMatch(/GROUP BY|LIMIT/);
        continue;
      }
      const limits = [...compiled.sql.matchAll(/LIMIT \$(\d+)/g)];
      expect(limits, compiled.sql).toHaveLength(1);
      const bound = compiled.params[Number(limits[0]?.[1]) - 1];
      const max = { breakdown: MAX_BREAKDOWN_GROUPS + 1, top: query.limit, series: MAX_SERIES_BUCKETS + 1, latest: query.latest?.limit }[compiled.shape];
      expect(bound).toBe(max);
      if (compiled.shape === 'series') {
        // The limit is on the list of buckets, which is the outermost row source.
        expect(compiled.sql).toMatch(/ORDER BY g\.b DESC LIMIT \$\d+\) AS s LEFT JOIN data AS d ON d\.b = s\.b ORDER BY s\.b$/);
      } else expect(compiled.sql).toMatch(/LIMIT \$\d+$/);
    }
  });
});

describe('values are parameters, never SQL text', () => {
  const project = PROJECTS.ventas as SemanticModel;
  const hostile = ["1; DROP TABLE ventas_pedido; --", "' OR '1'='1", 'x"; SELECT 1; --'];

  it('binds hostile tenant values and the window', () => {
    for (const tenant of hostile) {
      const compiled = compileQuery(project, { model: 'pedido', measure: 'importe', group_by: 'cliente.nombre', window: { kind: 'last_days', days: 9 } }, ctx(tenant));
      expect(compiled.sql).not.toContain(tenant);
      expect(compiled.sql).not.toContain('9');
      expect(compiled.params.filter((p) => p === tenant)).toHaveLength(2); // pedido and cliente, each its own
      expect(compiled.params).toContain(9);
      expect(compiled.params).toContain(NOW.toISOString());
    }
  });

  it("binds filter values, the measure's own filter and the time zone", () => {
    const compiled = compileQuery(project, { model: 'pedido', measure: 'importe', filters: [{ dimension: 'estado', in: ['P', 'E'] }], window: { kind: 'this_month' } }, ctx(3));
    expect(compiled.params).toEqual(expect.arrayContaining(['X', 'P', 'E', 'Europe/Madrid', 3]));
    expect(compiled.sql).not.toMatch(/'(X|P|E|Europe\/Madrid)'/);
  });

  it('cannot be given a hostile identifier: the schema refuses it, and the compiler asserts it again', () => {
    const input = structuredClone(project) as unknown as { models: { table: string; columns: string[] }[] };
    const [first] = input.models;
    if (!first) throw new Error('fixture');
    first.table = 'public."ventas_pedido"; DROP TABLE x; --';
    expect(semanticModelSchema.safeParse(input).success).toBe(false);
    // A model built in code without the schema still cannot smuggle a quote into the SQL.
    expect(() => compileQuery(input as unknown as SemanticModel, { model: 'pedido', measure: 'pedidos' }, ctx(1))).toThrow(SemanticCompileError);
    first.table = 'public.ventas_pedido';
    first.columns = [...first.columns.filter((c) => c !== 'estado'), 'estado" FROM pg_user --'];
    expect(() => compileQuery(input as unknown as SemanticModel, { model: 'pedido', measure: 'pedidos' }, ctx(1))).toThrow(SemanticCompileError);
  });
});

describe('fails closed', () => {
  const base = PROJECTS.ventas as SemanticModel;
  const withModel = (change: (model: ModelDef) => void): SemanticModel => {
    const project = structuredClone(base);
    const pedido = project.models.find((m) => m.name === 'pedido');
    if (!pedido) throw new Error('fixture');
    change(pedido);
    return project;
  };
  const count: SemanticQuery = { model: 'pedido', measure: 'pedidos' };

  it('refuses a model without a tenancy decision, even if the checker was skipped', () => {
    const project = withModel((m) => {
      delete (m as { tenancy?: unknown }).tenancy;
    });
    expect(() => compileQuery(project, count, ctx(1))).toThrow(/tenancy/);
    const unknownMode = withModel((m) => {
      (m as { tenancy: unknown }).tenancy = { owner: 'empresa_id' };
    });
    expect(() => compileQuery(unknownMode, count, ctx(1))).toThrow(/tenancy/);
  });

  it('refuses a joined model without tenancy: the join would read all tenants', () => {
    const project = structuredClone(base);
    const cliente = project.models.find((m) => m.name === 'cliente');
    delete (cliente as { tenancy?: unknown }).tenancy;
    expect(() => compileQuery(project, { model: 'pedido', measure: 'importe', group_by: 'cliente.nombre' }, ctx(1))).toThrow(/tenancy/);
    // Queries that do not touch the joined model still compile.
    expect(() => compileQuery(project, count, ctx(1))).not.toThrow();
  });

  it('refuses via tenancy that does not reach a tenant column', () => {
    const project = structuredClone(PROJECTS.crm as SemanticModel);
    const cuenta = project.models.find((m) => m.name === 'cuenta');
    if (!cuenta) throw new Error('fixture');
    cuenta.tenancy = { shared: true };
    expect(() => compileQuery(project, { model: 'factura', measure: 'facturas' }, ctx(1))).toThrow(SemanticCompileError);
  });

  it('refuses a column that the model does not expose', () => {
    const project = withModel((m) => {
      m.columns = m.columns.filter((c) => c !== 'total');
    });
    expect(() => compileQuery(project, { model: 'pedido', measure: 'importe' }, ctx(1))).toThrow(/not exposed/);
  });

  it('refuses a query the checker refuses', () => {
    expect(() => compileQuery(base, { model: 'pedido', measure: 'nada' }, ctx(1))).toThrow(/unknown measure/);
    expect(() => compileQuery(base, { model: 'pedido', measure: 'pedidos', group_by: 'creado' }, ctx(1))).toThrow(SemanticCompileError);
  });
});

describe('schema per tenant', () => {
  const project = structuredClone(PROJECTS.ventas as SemanticModel);
  for (const model of project.models) model.tenancy = { schema_per_tenant: true };

  it("reads each table from the tenant's schema, quoted", () => {
    const compiled = compileQuery(project, { model: 'pedido', measure: 'importe', group_by: 'cliente.nombre' }, ctx('tienda_norte'));
    expect(compiled.sql).toContain('FROM "tienda_norte"."ventas_pedido"');
    expect(compiled.sql).toContain('FROM "tienda_norte"."ventas_cliente"');
    expect(compiled.sql).not.toContain('"public"');
  });

  it('refuses a tenant that is not a plain schema name', () => {
    for (const tenant of ['a"b', 'Norte', 'pg_catalog', 'information_schema', 'public', '', 'x'.repeat(64), 5]) {
      expect(() => compileQuery(project, { model: 'pedido', measure: 'pedidos' }, ctx(tenant)), String(tenant)).toThrow(SemanticCompileError);
    }
  });
});

describe('database per project and shared tables', () => {
  it('reads a database-per-project model whole (the database is the tenant) and a shared one whole', () => {
    const project = structuredClone(PROJECTS.crm as SemanticModel);
    const cuenta = project.models.find((m) => m.name === 'cuenta');
    if (!cuenta) throw new Error('fixture');
    const compiled = compileQuery(project, { model: 'cuenta', measure: 'cuentas', filters: [{ dimension: 'pais.codigo', equals: 'MX' }] }, ctx(4));
    expect(compiled.sql).toMatch(/\(SELECT "id", "nombre", "codigo" FROM "public"\."crm_pais"\)/);
    expect(compiled.params).toEqual(['MX', 4]);
    cuenta.tenancy = { database_per_project: true };
    const whole = compileQuery(project, { model: 'cuenta', measure: 'cuentas' }, ctx(4));
    expect(whole.params).toEqual([]);
  });
});
