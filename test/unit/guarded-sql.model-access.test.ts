import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { guardedAccessFor, guardedSqlSetup, schemaSummary } from '../../src/services/guarded-sql/model-access.js';
import { parseSemanticModel } from '../../src/services/semantic-model/parse.js';
import type { SemanticModel } from '../../src/services/semantic-model/schema.js';

/** What guarded SQL may read, and what an administrator runs, derived from a model alone. */
function load(file: string): SemanticModel {
  const parsed = parseSemanticModel(readFileSync(file, 'utf8'), { fileName: file });
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
  return parsed.model;
}
const CRM = load('test/fixtures/models/crm.yaml');

/** The CRM model with every model's tenancy replaced. */
const withTenancy = (tenancy: SemanticModel['models'][number]['tenancy']): SemanticModel => ({
  ...CRM,
  models: CRM.models.map((m) => ({ ...m, tenancy })),
});

describe('guarded SQL access from a semantic model', () => {
  it("allows exactly the model's tables and exposed columns, never `*`, and scopes the tenant's tables", () => {
    const access = guardedAccessFor(CRM);
    if (!access.ok) throw new Error(access.reason);
    expect(access.allow.tables).toEqual({
      'public.crm_cuenta': ['id', 'nombre', 'organizacion_id', 'pais_id', 'creada'],
      'public.crm_pais': ['id', 'nombre', 'codigo'],
      'public.crm_oportunidad': ['id', 'etapa', 'importe', 'fecha_cierre', 'cuenta_id'],
      'public.crm_factura': ['id', 'numero', 'estado', 'total', 'emitida', 'cuenta_id'],
    });
    expect(access.scoped).toEqual(['public.crm_cuenta', 'public.crm_oportunidad', 'public.crm_factura']);
  });

  it('refuses a schema-per-tenant model: one role and one policy cannot follow the tenant schema', () => {
    const access = guardedAccessFor(withTenancy({ schema_per_tenant: true }));
    expect(access).toEqual({ ok: false, reason: expect.stringMatching(/one schema per tenant: model-written SQL cannot be scoped there/) });
    expect(guardedSqlSetup(withTenancy({ schema_per_tenant: true })).ok).toBe(false);
  });

  it('gives shared and database-per-project tables grants and no policy (every row is visible to the project)', () => {
    for (const tenancy of [{ shared: true as const }, { database_per_project: true as const }]) {
      const setup = guardedSqlSetup(withTenancy(tenancy));
      if (!setup.ok) throw new Error(setup.reason);
      expect(setup.sql).toContain('GRANT SELECT ("id", "nombre", "organizacion_id", "pais_id", "creada") ON "public"."crm_cuenta" TO chat_sql_reader;');
      expect(setup.sql).not.toMatch(/POLICY|ROW LEVEL SECURITY/);
      const access = guardedAccessFor(withTenancy(tenancy));
      expect(access.ok && access.scoped).toEqual([]);
    }
  });

  it('compares the tenant in the column type when known (index-friendly), as text otherwise; an empty setting matches nothing', () => {
    const typed = guardedSqlSetup(CRM, new Map([['public.crm_cuenta.organizacion_id', 'bigint']]));
    const untyped = guardedSqlSetup(CRM);
    if (!typed.ok || !untyped.ok) throw new Error('refused');
    expect(typed.sql).toContain(`"organizacion_id" = NULLIF(current_setting('chat.tenant', true), '')::bigint`);
    expect(untyped.sql).toContain(`"organizacion_id"::text = NULLIF(current_setting('chat.tenant', true), '')`);
    // via: the invoice's account must be the tenant's.
    expect(typed.sql).toContain(
      `EXISTS (SELECT 1 FROM "public"."crm_cuenta" AS tenant_parent WHERE tenant_parent."id" = "crm_factura"."cuenta_id" AND tenant_parent."organizacion_id" = NULLIF(current_setting('chat.tenant', true), '')::bigint)`,
    );
  });

  it("describes the tables to the language model with the model's words and values, bounded", () => {
    const summary = schemaSummary(CRM);
    expect(summary).toMatch(/^public\.crm_cuenta \(cuenta[^\n]*columns: id, nombre, organizacion_id, pais_id, creada$/m);
    expect(summary).toMatch(/cuenta_id references public\.crm_cuenta\.id \(cuenta\)/);
    const huge = { ...CRM, models: Array.from({ length: 60 }, (_, i) => ({ ...CRM.models[0]!, name: `m${i}`, description: 'x'.repeat(400) })) };
    expect(schemaSummary(huge).length).toBeLessThanOrEqual(8_100);
  });
});
