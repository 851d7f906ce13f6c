import { readdirSync, readFileSync } from 'node:fs';
import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { checkQuery, checkSemanticModel } from '../src/services/semantic-model/check.js';
import type { ModelIssue } from '../src/services/semantic-model/issues.js';
import { JSON_SCHEMA_PATH, semanticModelJsonSchemaText } from '../src/services/semantic-model/json-schema.js';
import { parseSemanticModel } from '../src/services/semantic-model/parse.js';
import {
  MAX_MODEL_FILE_BYTES,
  MAX_MODELS,
  MAX_VALUES_PER_DIMENSION,
  primaryTimeDimension,
  semanticQuerySchema,
  type SemanticModel,
} from '../src/services/semantic-model/schema.js';
import { exampleIssues, validateModelText } from '../src/services/semantic-model/validate.js';
import { wordKeys } from '../src/services/semantic-model/words.js';
import { cleanEnv, runProcess } from './support/processes.js';

const FIXTURES = 'test/fixtures/models';
const GOOD = ['models/demo.yaml', `${FIXTURES}/ventas.yaml`, `${FIXTURES}/crm.yaml`];
const read = (file: string) => readFileSync(file, 'utf8');

/** Structure issues when the file does not parse, else the semantic ones: what model:check shows first. */
function issuesOf(text: string, fileName = 'model.yaml'): ModelIssue[] {
  const parsed = parseSemanticModel(text, { fileName });
  return parsed.ok ? checkSemanticModel(parsed.model, { sourceMap: parsed.sourceMap }) : parsed.errors;
}

function parseOk(text: string, fileName = 'model.yaml'): SemanticModel {
  const parsed = parseSemanticModel(text, { fileName });
  if (!parsed.ok) throw new Error(`expected a valid model, got ${JSON.stringify(parsed.errors, null, 2)}`);
  return parsed.model;
}

/** A minimal valid model to vary in tests. */
const BASE = `version: 1
models:
  - name: pedido
    table: public.ventas_pedido
    primary_key: id
    words: { es: [pedido, pedidos] }
    tenancy: { column: empresa_id }
    columns: [id, estado, total, creado, empresa_id]
    dimensions:
      - name: estado
        column: estado
        type: categorical
        values:
          - { value: P, words: { es: [pendiente] } }
      - { name: creado, column: creado, type: time, granularities: [day], primary: true }
    measures:
      - name: importe
        type: sum
        column: total
        words: { es: [importe] }
`;

describe('good models', () => {
  it.each(GOOD)('%s parses and checks clean', (file) => {
    const parsed = parseSemanticModel(read(file), { fileName: file });
    expect(parsed.ok ? [] : parsed.errors).toEqual([]);
    if (!parsed.ok) return;
    expect(checkSemanticModel(parsed.model, { sourceMap: parsed.sourceMap })).toEqual([]);
    expect(parsed.model.examples.length).toBeGreaterThan(3);
  });

  it('reads what the Django sales model declares', () => {
    const model = parseOk(read(`${FIXTURES}/ventas.yaml`));
    const pedido = model.models.find((m) => m.name === 'pedido');
    expect(pedido?.tenancy).toEqual({ column: 'empresa_id' });
    const estado = pedido?.dimensions.find((d) => d.name === 'estado');
    expect(estado?.type === 'categorical' && estado.values?.map((v) => v.value)).toEqual(['P', 'E', 'C', 'X']);
    expect(pedido && primaryTimeDimension(pedido)?.column).toBe('creado');
    expect(pedido?.measures.find((m) => m.name === 'importe')?.filter).toEqual([{ dimension: 'estado', not_in: ['X'] }]);
    // Defaults apply: a model without joins has an empty list, not undefined.
    expect(model.models.find((m) => m.name === 'cliente')?.joins).toEqual([]);
  });

  it('the CRM model reaches its tenant through the account join', () => {
    const model = parseOk(read(`${FIXTURES}/crm.yaml`));
    const tenancy = Object.fromEntries(model.models.map((m) => [m.name, m.tenancy]));
    expect(tenancy).toEqual({
      cuenta: { column: 'organizacion_id' },
      pais: { shared: true },
      oportunidad: { via: 'cuenta' },
      factura: { via: 'cuenta' },
    });
  });

  it('the demo model answers the catalogue questions', () => {
    const model = parseOk(read('models/demo.yaml'));
    const question = model.examples.find((e) => e.question === '¿Cuántas órdenes pendientes hay?');
    expect(question?.query).toEqual({ model: 'orden', measure: 'ordenes', filters: [{ dimension: 'status', equals: 'pending' }] });
    expect(model.models[0]?.table).toBe('public.orders');
    expect(model.models[0]?.tenancy).toEqual({ column: 'project' });
  });
});

// ---------------------------------------------------------------------------------------------
// Broken fixtures: each line that must be reported carries `# ERROR path: message fragment`.
// ---------------------------------------------------------------------------------------------

type Expected = { path: string; line: number; fragment: string };

function markers(text: string): Expected[] {
  return text.split('\n').flatMap((content, index) =>
    [...content.matchAll(/# ERROR (\S+): ([^#]+)/g)].map((m) => ({ path: m[1] ?? '', line: index + 1, fragment: (m[2] ?? '').trim() })),
  );
}

const BROKEN = readdirSync(`${FIXTURES}/bad`).filter((f) => f.endsWith('.yaml'));

describe('broken models report the path and the line of each mistake', () => {
  it('covers every kind of mistake', () => {
    expect(BROKEN).toEqual(
      expect.arrayContaining([
        'syntax-error.yaml',
        'duplicate-key.yaml',
        'wrong-type.yaml',
        'unknown-measure-type.yaml',
        'missing-tenancy.yaml',
        'via-undeclared-join.yaml',
        'column-not-exposed.yaml',
        'filter-value-unknown.yaml',
        'ambiguous-word.yaml',
        'example-unknown-measure.yaml',
        'todo-marker.yaml',
        'example-unresolved.yaml',
      ]),
    );
  });

  it.each(BROKEN)('%s', (file) => {
    const text = read(`${FIXTURES}/bad/${file}`);
    const expected = markers(text);
    expect(expected.length).toBeGreaterThan(0);
    const semantic = issuesOf(text, file);
    const parsed = parseSemanticModel(text, { fileName: file });
    // As model:check does: examples are resolved once the model's references hold.
    const issues = semantic.length > 0 || !parsed.ok ? semantic : exampleIssues(parsed.model, parsed.sourceMap);
    // Exactly the marked issues: same paths on the same lines, nothing else.
    expect(issues.map((i) => ({ path: i.path, line: i.line }))).toEqual(expected.map((e) => ({ path: e.path, line: e.line })));
    issues.forEach((issue, i) => expect(issue.message).toContain(expected[i]?.fragment));
  });
});

describe('semantic checks', () => {
  it('names used twice, a second primary time dimension, a join to an unknown model', () => {
    const text = `${BASE}      - { name: estado, type: count, words: { es: [cuántos] } }
    joins:
      - { name: cliente, model: cliente, foreign_key: id }
  - name: pedido
    table: public.otro
    primary_key: id
    words: { es: [otro] }
    tenancy: { shared: true }
    columns: [id, creado, creado]
    dimensions:
      - { name: creado, column: creado, type: time, granularities: [day, day], primary: true }
      - { name: creado2, column: creado, type: time, granularities: [day], primary: true }
`;
    expect(issuesOf(text).map((i) => [i.line, i.path, i.message])).toEqual([
      [21, 'models[0].measures[1].name', 'name "estado" is already used by models[0].dimensions[0].name in this model'],
      [23, 'models[0].joins[0].model', 'unknown model "cliente"; models: pedido, pedido'],
      [24, 'models[1].name', 'model name "pedido" is already used by models[0].name'],
      [29, 'models[1].columns[2]', 'column "creado" is listed twice'],
      [31, 'models[1].dimensions[0].granularities', 'a granularity is listed twice'],
      [32, 'models[1].dimensions[1].primary', 'only one time dimension may be primary; models[1].dimensions[0] already is'],
    ]);
  });

  it('stored values: no repeats, one type per column', () => {
    const text = BASE.replace(
      '          - { value: P, words: { es: [pendiente] } }\n',
      '          - { value: P, words: { es: [pendiente] } }\n          - { value: P, words: { es: [otra] } }\n          - { value: 1, words: { es: [uno] } }\n',
    );
    expect(issuesOf(text).map((i) => [i.line, i.path, i.message])).toEqual([
      [15, 'models[0].dimensions[0].values[1].value', 'value "P" is listed twice'],
      [16, 'models[0].dimensions[0].values[2].value', 'values of one column have one type: this is a number, the first is a string'],
    ]);
  });

  it('a filter needs a dimension with declared values', () => {
    const text = `${BASE}        filter: [{ dimension: creado, equals: P }, { dimension: nada, in: [P] }]\n`;
    expect(issuesOf(text).map((i) => [i.line, i.path, i.message])).toEqual([
      [21, 'models[0].measures[0].filter[0].dimension', 'dimension "creado" has no declared values to filter on'],
      [21, 'models[0].measures[0].filter[1].dimension', 'unknown dimension "nada" of model pedido; its dimensions: estado, creado'],
    ]);
  });

  it('ambiguity ignores case, accents and plurals, within one scope only', () => {
    // Two models may each have a measure called "cuántos"; a model word is project-wide.
    const twoModels = `${BASE.replace('words: { es: [importe] }', 'words: { es: [importe, cuántos] }')}  - name: cliente
    table: public.ventas_cliente
    primary_key: id
    words: { es: [cliente, clientes] }
    tenancy: { column: empresa_id }
    columns: [id, empresa_id]
    measures:
      - { name: clientes, type: count, words: { es: [Cuantos] } }
`;
    expect(issuesOf(twoModels)).toEqual([]);
    const clash = twoModels.replace('words: { es: [Cuantos] }', 'words: { es: [Importes] }').replace('[cliente, clientes]', '[cliente, PEDIDOS]');
    expect(issuesOf(clash).map((i) => [i.line, i.path])).toEqual([[24, 'models[1].words.es[1]']]);
    expect(issuesOf(clash)[0]?.message).toContain('"PEDIDOS" is ambiguous: as "pedidos" it names model cliente, and "pedidos" (models[0].words.es[1], line 6) names model pedido');
  });

  it('a model built in code is checked too, without lines', () => {
    const model = parseOk(BASE);
    const broken: SemanticModel = {
      ...model,
      models: model.models.map((m) => ({ ...m, tenancy: { via: 'cliente' }, words: { es: ['TODO: palabras'] } })),
    };
    expect(checkSemanticModel(broken)).toEqual([
      { path: 'models[0].words.es[0]', message: 'fill in: palabras' },
      { path: 'models[0].tenancy.via', message: expect.stringContaining('no join named "cliente"') as string },
    ]);
  });

  it('checkQuery validates a query the way tools will produce it', () => {
    const model = parseOk(read(`${FIXTURES}/ventas.yaml`));
    expect(checkQuery(model, { model: 'pedido', measure: 'importe', group_by: 'cliente.nombre', order: 'desc', limit: 3 })).toEqual([]);
    expect(checkQuery(model, { model: 'pedido', measure: 'importe', group_by: 'creado' })).toEqual([
      { path: ['group_by'], message: expect.stringContaining('is a time dimension') as string },
    ]);
    expect(checkQuery(model, { model: 'pedido', measure: 'pedidos', filters: [{ dimension: 'cliente.nombre', equals: 'Ana' }] })).toEqual([
      { path: ['filters', 0, 'dimension'], message: 'dimension "cliente.nombre" has no declared values to filter on' },
    ]);
    expect(checkQuery(model, { model: 'producto', latest: { limit: 1 } })).toEqual([
      { path: ['model'], message: 'unknown model "producto"; models: pedido, cliente' },
    ]);
    expect(checkQuery(model, { model: 'cliente', latest: { limit: 1 } })).toEqual([
      { path: ['latest'], message: expect.stringContaining('needs a primary time dimension') as string },
    ]);
  });
});

describe('query shapes', () => {
  const valid = [
    { model: 'm', measure: 'x' },
    { model: 'm', measure: 'x', group_by: 'd', order: 'desc' },
    { model: 'm', measure: 'x', group_by: 'j.d', order: 'desc', limit: 5, window: { kind: 'this_month' } },
    { model: 'm', measure: 'x', series: { dimension: 't', granularity: 'day' }, window: { kind: 'last_days', days: 3650 } },
    { model: 'm', latest: { limit: 50 }, filters: [{ dimension: 'd', in: ['a', 'b'] }] },
  ];
  it.each(valid)('accepts %j', (query) => expect(semanticQuerySchema.safeParse(query).success).toBe(true));

  const invalid: [unknown, string][] = [
    [{ model: 'm' }, 'measure'],
    [{ model: 'm', measure: 'x', latest: { limit: 5 } }, 'measure'],
    [{ model: 'm', measure: 'x', order: 'desc' }, 'order'],
    [{ model: 'm', measure: 'x', group_by: 'd', limit: 5 }, 'limit'],
    [{ model: 'm', measure: 'x', group_by: 'd', series: { dimension: 't', granularity: 'day' } }, 'series'],
    [{ model: 'm', measure: 'x', window: { kind: 'last_days', days: 3651 } }, 'window'],
    [{ model: 'm', measure: 'x', filters: [{ dimension: 'd', equals: 'a', in: ['b'] }] }, 'filters'],
    [{ model: 'm', measure: 'x', group_by: 'a.b.c' }, 'group_by'],
    [{ model: 'm', latest: { limit: 51 } }, 'latest'],
  ];
  it.each(invalid)('rejects %j at %s', (query, field) => {
    const result = semanticQuerySchema.safeParse(query);
    expect(result.success).toBe(false);
    expect(result.error?.issues.map((i) => i.path[0])).toContain(field);
  });
});

describe('words', () => {
  const same = (a: string, b: string) => wordKeys(a).some((key) => wordKeys(b).includes(key));
  it.each([
    ['pedido', 'Pedidos'],
    ['orden', 'órdenes'],
    ['mes', 'meses'],
    ['category', 'categories'],
    ['status', 'statuses'],
    ['orden pendiente', 'Órdenes pendientes'],
    ['¿cuántos?', 'cuantos'],
  ])('%s ~ %s', (a, b) => expect(same(a, b)).toBe(true));
  it.each([
    ['pedido', 'producto'],
    ['ganada', 'ganado'],
    ['cuentas', 'cuántas'],
    ['total', 'total neto'],
  ])('%s ≁ %s', (a, b) => expect(same(a, b)).toBe(false));
});

describe('JSON input', () => {
  it('a JSON model parses to the same model as its YAML', () => {
    const yamlText = read(`${FIXTURES}/ventas.yaml`);
    const json = JSON.stringify(parseYaml(yamlText), null, 2);
    const parsed = parseSemanticModel(json, { fileName: 'ventas.json' });
    expect(parsed.ok && parsed.model).toEqual(parseOk(yamlText));
  });

  it('reports lines in JSON', () => {
    const file = `${FIXTURES}/bad/wrong-type.json`;
    expect(issuesOf(read(file), file).map((i) => [i.line, i.path, i.message])).toEqual([
      [11, 'models[0].measures[0].type', 'unknown measure type "total": expected one of count, count_distinct, sum, avg, min, max'],
      [13, 'models[0].measures[1].words.es', 'expected a list, got the string "pedidos"'],
      [19, 'examples[0].query.latest.limit', 'expected a number, got the string "5"'],
    ]);
  });

  it('semantic issues in JSON have lines too', () => {
    const json = JSON.stringify(parseYaml(read(`${FIXTURES}/bad/example-unknown-measure.yaml`)), null, 2);
    const line = json.split('\n').findIndex((l) => l.includes('"ticket_medio"')) + 1;
    expect(issuesOf(json, 'm.json').map((i) => [i.line, i.path])).toEqual([[line, 'examples[1].query.measure']]);
  });

  it('is strict JSON: YAML-only syntax is an error with its line', () => {
    expect(issuesOf('{\n  "version": 1,\n  "models": [],\n}\n', 'm.json')).toEqual([
      { path: '', message: expect.stringContaining('invalid JSON') as string, line: 4, column: 1 },
    ]);
    expect(issuesOf('{\n  "version": 1,\n  "models": tru\n}\n', 'm.json')).toEqual([
      { path: 'models', message: expect.stringContaining('Unresolved plain scalar "tru"') as string, line: 3, column: 13 },
    ]);
    expect(issuesOf('{\n  "version": 1,\n  "version": 1\n}\n', 'm.json')).toEqual([
      { path: 'version', message: 'duplicate key "version": each key may appear once in a mapping', line: 3, column: 3 },
    ]);
  });
});

describe('bounds and odd input', () => {
  it('rejects a file over the size limit before parsing it', () => {
    const text = `${BASE}# ${'x'.repeat(MAX_MODEL_FILE_BYTES)}\n`;
    expect(issuesOf(text)).toEqual([{ path: '', message: expect.stringContaining('at most 262144 bytes (256 KiB)') as string }]);
  });

  it('counts bytes, not characters', () => {
    const text = `${BASE}# ${'ñ'.repeat(MAX_MODEL_FILE_BYTES / 2)}\n`;
    expect(text.length).toBeLessThan(MAX_MODEL_FILE_BYTES);
    expect(issuesOf(text)[0]?.message).toContain('a model file may have at most');
  });

  it('limits the number of models and of values', () => {
    const parsed = parseYaml(BASE) as { models: Record<string, unknown>[] };
    const model = parsed.models[0]!;
    const many = { version: 1, models: Array.from({ length: MAX_MODELS + 1 }, (_, i) => ({ ...model, name: `m${i}` })) };
    expect(issuesOf(stringifyYaml(many, { aliasDuplicateObjects: false }))).toEqual([
      { path: 'models', message: `too many items: at most ${MAX_MODELS} allowed`, line: 2, column: 1 },
    ]);
    const values = Array.from({ length: MAX_VALUES_PER_DIMENSION + 1 }, (_, i) => ({ value: i, words: { es: [`v${i}`] } }));
    const wide = { version: 1, models: [{ ...model, dimensions: [{ name: 'estado', column: 'estado', type: 'categorical', values }] }] };
    expect(issuesOf(stringifyYaml(wide, { aliasDuplicateObjects: false })).map((i) => [i.path, i.message])).toEqual([
      ['models[0].dimensions[0].values', `too many items: at most ${MAX_VALUES_PER_DIMENSION} allowed`],
    ]);
  });

  it('refuses alias bombs', () => {
    const bomb = ['version: 1', 'a: &a [x, x, x, x, x, x, x, x, x, x]', ...Array.from({ length: 8 }, (_, i) => `${'b'.repeat(i + 1)}: &${'b'.repeat(i + 1)} [${Array(10).fill(i ? `*${'b'.repeat(i)}` : '*a').join(', ')}]`)].join('\n');
    const issues = issuesOf(bomb);
    expect(issues).toHaveLength(1);
    expect(issues[0]?.message).toMatch(/alias/i);
  });

  it('an empty file, a list, a wrong version', () => {
    expect(issuesOf('')).toEqual([{ path: '', message: 'the file is empty: it needs version: 1 and models: [...]', line: 1, column: 1 }]);
    expect(issuesOf('- a\n')[0]?.message).toBe('the file must be a mapping with version: 1 and models: [...], not a list');
    expect(issuesOf(BASE.replace('version: 1', 'version: 2'))).toEqual([
      { path: 'version', message: 'expected 1, got 2', line: 1, column: 1 },
    ]);
  });

  it('names must be identifiers; system schemas are not models', () => {
    const text = BASE.replace('name: pedido', 'name: Pedido-1').replace('public.ventas_pedido', 'pg_catalog.pg_authid');
    expect(issuesOf(text).map((i) => [i.line, i.path, i.message])).toEqual([
      [3, 'models[0].name', 'must be an identifier: lower-case letters, digits and _, not starting with a digit'],
      [4, 'models[0].table', 'system catalogs (pg_*, information_schema) cannot be models'],
    ]);
  });
});

describe('the committed JSON Schema', () => {
  it('is what the zod schema generates (run npm run model:schema after changing schema.ts)', () => {
    expect(read(JSON_SCHEMA_PATH)).toBe(semanticModelJsonSchemaText());
  });

  it('accepts the good models and rejects structural mistakes, as editors will', () => {
    const validate = new Ajv({ allErrors: true, strict: false }).compile(JSON.parse(read(JSON_SCHEMA_PATH)) as object);
    for (const file of GOOD) expect({ file, ok: validate(parseYaml(read(file))), errors: validate.errors ?? null }).toEqual({ file, ok: true, errors: null });
    for (const file of ['unknown-measure-type.yaml', 'wrong-type.yaml', 'missing-tenancy.yaml', 'unknown-field.yaml']) {
      expect({ file, ok: validate(parseYaml(read(`${FIXTURES}/bad/${file}`))) }).toEqual({ file, ok: false });
    }
  });

  it('every good fixture points editors at it', () => {
    for (const file of GOOD) expect(read(file).split('\n')[0]).toMatch(/^# yaml-language-server: \$schema=(\.\.\/)+schemas\/semantic-model\.schema\.json$/);
  });
});

describe('validateModelText runs the layers in order', () => {
  it('skips semantics when the structure fails', async () => {
    const result = await validateModelText(read(`${FIXTURES}/bad/unknown-measure-type.yaml`));
    expect(result.ok).toBe(false);
    expect(result.layers.map((l) => [l.layer, l.status])).toEqual([
      ['structure', 'failed'],
      ['semantics', 'skipped'],
    ]);
  });

  it('runs an extra layer on a parsed model even when semantics fail', async () => {
    const seen: string[] = [];
    const layer = {
      name: 'database' as const,
      run: async (model: SemanticModel) => {
        seen.push(model.models[0]?.name ?? '');
        return [{ path: 'models[0].table', message: 'no such table', line: 4 }];
      },
    };
    const result = await validateModelText(read(`${FIXTURES}/bad/example-unknown-measure.yaml`), { layers: [layer] });
    expect(seen).toEqual(['pedido']);
    expect(result.layers.map((l) => [l.layer, l.status])).toEqual([
      ['structure', 'passed'],
      ['semantics', 'failed'],
      ['database', 'failed'],
    ]);
  });
});

describe('npm run model:check', () => {
  const run = (...args: string[]) => runProcess('npm', ['run', '--silent', 'model:check', '--', ...args], cleanEnv());

  it('exits 0 on a good file', async () => {
    const { code, output } = await run('models/demo.yaml');
    expect(output).toBe('models/demo.yaml\n  structure: ok\n  semantics: ok\nok: no errors\n');
    expect(code).toBe(0);
  });

  it('exits 1 on a bad file, printing file:line:column: path: message by layer', async () => {
    const file = `${FIXTURES}/bad/filter-value-unknown.yaml`;
    const { code, output } = await run(file);
    expect(output).toBe(
      [
        file,
        '  structure: ok',
        '  semantics: 2 errors',
        `    ${file}:23:43: models[0].measures[0].filter[0].not_in[0]: "C" is not a value of dimension "estado"; its values: "P", "X"`,
        `    ${file}:29:38: examples[0].query.filters[0].equals: "E" is not a value of dimension "estado"; its values: "P", "X"`,
        '2 errors',
        '',
      ].join('\n'),
    );
    expect(code).toBe(1);
  });

  it('reports structure errors and skips the rest', async () => {
    const file = `${FIXTURES}/bad/syntax-error.yaml`;
    const { code, output } = await run(file);
    expect(output).toContain(`${file}:7:5: models[0]: YAML syntax error:`);
    expect(output).toContain('  semantics: skipped (the structure has errors)');
    expect(code).toBe(1);
  });

  it('a missing file or a bad option is one line, exit 1', async () => {
    for (const args of [['nope.yaml'], ['--bogus', 'models/demo.yaml'], [], ['models/demo.yaml', '--format', 'xml']]) {
      const { code, output } = await run(...args);
      expect({ args, code, lines: output.trim().split('\n').length }).toEqual({ args, code: 1, lines: 1 });
      expect(output).toMatch(/^model:check: /);
      expect(output).not.toMatch(/\n\s+at /); // no stack trace
    }
  });
});
