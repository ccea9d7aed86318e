/**
 * @module `--format`: one document rendered as JSON, YAML, CSV or a table, each command giving only what differs
 * per format. Pure (the YAML library is loaded on first use).
 */
import { renderCsv } from './csv.js';
import { renderJson, renderYaml, type Format } from './formats.js';
import { renderTable } from './table.js';

/** A header row and data rows. */
export interface Rows {
  headers: string[];
  rows: string[][];
}

/** Nothing to show: Multipass writes a note such as "No instances found." to stderr and nothing to stdout. */
export interface EmptyNote {
  note: string;
}

export interface Renderers<T> {
  /** The YAML document, when it is not the JSON one (Multipass keys `list`'s YAML by instance name). */
  yaml?: (data: T) => unknown;
  csv: (data: T) => Rows;
  /** Rows to align, text already laid out, or a note for an empty result. */
  table: (data: T) => Rows | string | EmptyNote;
}

/** What to write, and where. */
export interface Rendered {
  stream: 'stdout' | 'stderr';
  text: string;
}

/**
 * Renders `data`, which is the JSON document as Multipass prints it (and the YAML one unless `yaml` says
 * otherwise), in `format`.
 */
export async function render<T>(format: Format, data: T, renderers: Renderers<T>): Promise<Rendered> {
  switch (format) {
    case 'json':
      return { stream: 'stdout', text: renderJson(data) };
    case 'yaml':
      return { stream: 'stdout', text: await renderYaml(renderers.yaml ? renderers.yaml(data) : data) };
    case 'csv': {
      const { headers, rows } = renderers.csv(data);
      return { stream: 'stdout', text: renderCsv(headers, rows) };
    }
    case 'table': {
      const table = renderers.table(data);
      if (typeof table === 'string') return { stream: 'stdout', text: table };
      if ('note' in table) return { stream: 'stderr', text: `${table.note}\n` };
      return { stream: 'stdout', text: renderTable(table.headers, table.rows) };
    }
    default: {
      const never: never = format;
      return never;
    }
  }
}
