import type { Database } from './database.js';
import { GUARDED_SQL_ROLE, guardedSqlSetup } from '../../services/guarded-sql/model-access.js';
import { DEMO_MODEL } from './demo-model.generated.js';
import { serviceTables, type ServiceTables } from './tables.js';

/** A demo project: its registry row and how many orders it gets. */
type DemoProject = {
  slug: string;
  displayName: string;
  systemPrompt: string;
  openToAll: boolean;
  allowedUserIds: string[];
  /** Answers from the demo's orders through models/demo.yaml (tenant: the slug), or documents and the model only. */
  ordersModel: boolean;
  /** Opt-in to model-written, guarded SQL (on for one demo project, to show it). */
  guardedSql: boolean;
  orders: number;
};

export const BUSINESS_PROMPT =
  'Eres el asistente de datos de {name}. Respondes en el idioma de la pregunta, con brevedad y precisión. ' +
  'Si la pregunta requiere cifras que no tienes, dilo y sugiere cómo preguntarlas (por ejemplo: "¿Cuántas órdenes pendientes hay?").';

export const DEMO_PROJECTS: readonly DemoProject[] = [
  { ...demo('dashboard_miempresa', 'Dashboard MiEmpresa', 1500), guardedSql: true },
  demo('tienda_norte', 'Tienda Norte', 900),
  demo('logistica_sur', 'Logística Sur', 600),
  {
    slug: 'conocimiento_general',
    displayName: 'Conocimiento general',
    systemPrompt:
      'Eres un experto en logística, comercio y gestión de pedidos. Explicas conceptos (por ejemplo, qué es una orden inbound u outbound) ' +
      'de forma clara y con un ejemplo, en el idioma de la pregunta.',
    openToAll: true,
    allowedUserIds: [],
    ordersModel: false,
    guardedSql: false,
    orders: 0,
  },
  {
    ...demo('finanzas_direccion', 'Finanzas Dirección', 300),
    openToAll: false,
    allowedUserIds: ['42'],
  },
];

/** The user id of the development token; not in finanzas_direccion's list, to show a 403. */
export const DEMO_USER_ID = '1';

const CUSTOMERS = [
  'Ferretería El Tornillo', 'Distribuciones Andina', 'Café La Esquina', 'Hotel Mirador', 'Panadería San José',
  'Clínica Santa Rosa', 'Constructora Horizonte', 'Librería Alfa', 'Farmacia del Centro', 'Taller Mecánico Ruiz',
  'Supermercado La Plaza', 'Agroindustrias del Valle', 'Textiles Rivera', 'Papelería Moderna', 'Óptica Visión',
  'Restaurante El Fogón', 'Electrodomésticos Luz', 'Gimnasio Vital', 'Floristería Jardín', 'Transportes Rápidos',
];

/** What an administrator would run for guarded SQL over the demo model (npm run model:check -- models/demo.yaml --guarded-sql). */
const DEMO_GUARDED_SQL_SETUP = (() => {
  const setup = guardedSqlSetup(DEMO_MODEL, new Map([['public.orders.project', 'text']]));
  if (!setup.ok) throw new Error(`the demo model cannot have guarded SQL: ${setup.reason}`);
  return setup.sql;
})();

/**
 * The demo's orders table, in public: user data, not one of the service's tables (those live in
 * DATABASE_SCHEMA), so migrations never create it and a company's own `orders` is never touched:
 * the demo refuses to run over a public.orders that is not the demo's. Also what guarded SQL over
 * the demo model needs of the table, exactly as model:check prints it for models/demo.yaml (the
 * role itself comes from 0003_guarded_sql in migrations.ts): the reader's column grant and the
 * tenant policy. Idempotent.
 */
function demoOrdersSql(t: ServiceTables): string {
  return `
DO $demo$
BEGIN
  IF to_regclass('public.orders') IS NOT NULL AND NOT EXISTS (
    SELECT 1 FROM pg_constraint
    -- to_regclass, not ::regclass: a cast of a constant is resolved when the block is planned, before the IF can skip it
    WHERE conrelid = to_regclass('public.orders') AND contype = 'f' AND confrelid = to_regclass('${t.projects}')
  ) THEN
    RAISE EXCEPTION 'public.orders exists and is not the demo''s (no foreign key to ${t.projects.replaceAll('"', '')}): the demo data is not loaded over it';
  END IF;
END
$demo$;
CREATE TABLE IF NOT EXISTS public.orders (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  project text NOT NULL REFERENCES ${t.projects} (slug) ON DELETE CASCADE,
  status text NOT NULL CHECK (status IN ('pending', 'shipped', 'delivered', 'cancelled')),
  amount numeric(12, 2) NOT NULL CHECK (amount >= 0),
  customer text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS orders_project_status_idx ON public.orders (project, status);
CREATE INDEX IF NOT EXISTS orders_project_created_at_idx ON public.orders (project, created_at DESC);
DO $guarded$
BEGIN
  -- The policy of versions before the demo model (keyed on chat.project); the model's replaces it.
  DROP POLICY IF EXISTS orders_project_isolation ON public.orders;
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '${GUARDED_SQL_ROLE}') THEN
${DEMO_GUARDED_SQL_SETUP}
  END IF;
END
$guarded$;`;
}

/** Creates the demo's orders table (empty) in a migrated database, for tests that load their own rows. */
export async function createDemoTables(db: Database, t: ServiceTables = serviceTables()): Promise<void> {
  await db.exec(`BEGIN;${demoOrdersSql(t)}\nCOMMIT;`);
}

/**
 * Loads the demo projects (their semantic model: models/demo.yaml) and their orders, replacing
 * the demo projects' previous orders.
 * Values are derived from the row number, so every seed has the same shape; dates are spread
 * over the 180 days before `now`, so time-window questions always have answers.
 */
export async function seedDemoData(db: Database, now: Date = new Date(), t: ServiceTables = serviceTables()): Promise<void> {
  const projectRows = DEMO_PROJECTS.map((p) =>
    `(${literal(p.slug)}, ${literal(p.displayName)}, ${literal(p.systemPrompt)}, ${p.openToAll}, ` +
    `${textArray(p.allowedUserIds)}, ${p.ordersModel ? `${literal(JSON.stringify(DEMO_MODEL))}::jsonb` : 'NULL'}, NULL, ${p.guardedSql})`,
  );
  const orderInserts = DEMO_PROJECTS.filter((p) => p.orders > 0).map(
    (p, index) => `
INSERT INTO public.orders (project, status, amount, customer, created_at)
SELECT ${literal(p.slug)},
       CASE WHEN h < 20 THEN 'pending' WHEN h < 45 THEN 'shipped' WHEN h < 88 THEN 'delivered' ELSE 'cancelled' END,
       round((15 + ((i * 7907 + ${index * 131}) % 98500) / 100.0)::numeric, 2),
       (${textArray(CUSTOMERS)})[1 + floor(sqrt(((i * 7919 + ${index * 17}) % 400)::float8))::int],
       ${literal(now.toISOString())}::timestamptz - make_interval(mins => ((i * 7919 + ${index * 59}) % (180 * 24 * 60))::int)
FROM (SELECT i, (i * 37 + i / 13 + ${index * 11}) % 100 AS h FROM generate_series(1, ${p.orders}) AS i) AS numbered;`,
  );
  await db.exec(`BEGIN;
INSERT INTO ${t.projects} (slug, display_name, system_prompt, open_to_all, allowed_user_ids, semantic_model, tenant, guarded_sql)
VALUES ${projectRows.join(',\n       ')}
ON CONFLICT (slug) DO UPDATE SET display_name = EXCLUDED.display_name, system_prompt = EXCLUDED.system_prompt,
  open_to_all = EXCLUDED.open_to_all, allowed_user_ids = EXCLUDED.allowed_user_ids, semantic_model = EXCLUDED.semantic_model,
  tenant = EXCLUDED.tenant, guarded_sql = EXCLUDED.guarded_sql;
${demoOrdersSql(t)}
DELETE FROM public.orders WHERE project IN (${DEMO_PROJECTS.map((p) => literal(p.slug)).join(', ')});
${orderInserts.join('\n')}
COMMIT;`);
}

function demo(slug: string, displayName: string, orders: number): DemoProject {
  return {
    slug,
    displayName,
    systemPrompt: BUSINESS_PROMPT.replace('{name}', displayName),
    openToAll: true,
    allowedUserIds: [],
    ordersModel: true,
    guardedSql: false,
    orders,
  };
}

/** Quotes our own constant strings for the seed script (it has no user input). */
function literal(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}

function textArray(values: readonly string[]): string {
  return `ARRAY[${values.map(literal).join(', ')}]::text[]`;
}
