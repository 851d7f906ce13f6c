import type { Database } from './database.js';

/** A demo project: its registry row and how many orders it gets. */
type DemoProject = {
  slug: string;
  displayName: string;
  systemPrompt: string;
  openToAll: boolean;
  allowedUserIds: string[];
  enabledQueries: string[] | null;
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
    enabledQueries: [],
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

/**
 * Loads the demo projects and their orders, replacing the demo projects' previous orders.
 * Values are derived from the row number, so every seed has the same shape; dates are spread
 * over the 180 days before `now`, so time-window questions always have answers.
 */
export async function seedDemoData(db: Database, now: Date = new Date()): Promise<void> {
  const projectRows = DEMO_PROJECTS.map((p) =>
    `(${literal(p.slug)}, ${literal(p.displayName)}, ${literal(p.systemPrompt)}, ${p.openToAll}, ` +
    `${textArray(p.allowedUserIds)}, ${p.enabledQueries === null ? 'NULL' : textArray(p.enabledQueries)}, ${p.guardedSql})`,
  );
  const orderInserts = DEMO_PROJECTS.filter((p) => p.orders > 0).map(
    (p, index) => `
INSERT INTO orders (project, status, amount, customer, created_at)
SELECT ${literal(p.slug)},
       CASE WHEN h < 20 THEN 'pending' WHEN h < 45 THEN 'shipped' WHEN h < 88 THEN 'delivered' ELSE 'cancelled' END,
       round((15 + ((i * 7907 + ${index * 131}) % 98500) / 100.0)::numeric, 2),
       (${textArray(CUSTOMERS)})[1 + floor(sqrt(((i * 7919 + ${index * 17}) % 400)::float8))::int],
       ${literal(now.toISOString())}::timestamptz - make_interval(mins => ((i * 7919 + ${index * 59}) % (180 * 24 * 60))::int)
FROM (SELECT i, (i * 37 + i / 13 + ${index * 11}) % 100 AS h FROM generate_series(1, ${p.orders}) AS i) AS numbered;`,
  );
  await db.exec(`BEGIN;
INSERT INTO projects (slug, display_name, system_prompt, open_to_all, allowed_user_ids, enabled_queries, guarded_sql)
VALUES ${projectRows.join(',\n       ')}
ON CONFLICT (slug) DO UPDATE SET display_name = EXCLUDED.display_name, system_prompt = EXCLUDED.system_prompt,
  open_to_all = EXCLUDED.open_to_all, allowed_user_ids = EXCLUDED.allowed_user_ids, enabled_queries = EXCLUDED.enabled_queries,
  guarded_sql = EXCLUDED.guarded_sql;
DELETE FROM orders WHERE project IN (${DEMO_PROJECTS.map((p) => literal(p.slug)).join(', ')});
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
    enabledQueries: null,
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
