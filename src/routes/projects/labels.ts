import type { Label, Measure, SemanticModel } from '../../services/semantic-model/schema.js';

export type DataLabels = { etiquetas: Record<string, string>; formatos: Record<string, NonNullable<Measure['format']>> };

const pick = (label: Label | undefined, language: 'es' | 'en') => label?.[language] ?? label?.es ?? label?.en;

/**
 * How a client shows a semantic answer's rows: the display label (in `language`) of every key a
 * row may have — dimensions (`status`), joined dimensions (`cliente.nombre`), measures
 * (`importe`) and the columns a latest-rows answer names after a summed column (`amount`) — of
 * stored values (`status=pending` → "Pendiente"), and each measure's format (`currency`).
 * Read from the model only: the answers stay as they are.
 */
export function dataLabels(model: SemanticModel, language: 'es' | 'en'): DataLabels {
  const etiquetas: Record<string, string> = {};
  const formatos: DataLabels['formatos'] = {};
  const put = (key: string, label: string | undefined) => {
    if (label && !(key in etiquetas)) etiquetas[key] = label;
  };
  for (const m of model.models) {
    for (const dimension of m.dimensions) {
      put(dimension.name, pick(dimension.label, language));
      if (dimension.type === 'categorical') {
        for (const value of dimension.values ?? []) put(`${dimension.name}=${String(value.value)}`, pick(value.label, language));
      }
    }
    for (const measure of m.measures) {
      put(measure.name, pick(measure.label, language));
      if (measure.format) formatos[measure.name] ??= measure.format;
    }
  }
  // Second pass, so that a model's own names win over the columns a latest answer shows.
  for (const m of model.models) {
    for (const measure of m.measures) {
      if ((measure.type === 'sum' || measure.type === 'avg') && measure.column) {
        put(measure.column, pick(measure.label, language));
        if (measure.format) formatos[measure.column] ??= measure.format;
      }
    }
    for (const join of m.joins) {
      const target = model.models.find((t) => t.name === join.model);
      for (const dimension of target?.dimensions ?? []) {
        const label = pick(dimension.label, language) ?? pick(target?.label, language);
        put(`${join.name}.${dimension.name}`, label);
      }
    }
  }
  return { etiquetas, formatos };
}
