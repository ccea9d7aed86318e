/**
 * @module `skiff images`: the image cache (new in skiff): what, size, age, used by which instances.
 */
import type { CachedImageJson } from '../../api/contract.js';
import { ageText } from '../../core/age.js';
import type { CliContext } from '../context.js';
import { humanBytes } from '../format/bytes.js';
import { renderCsv } from '../format/csv.js';
import { parseFormat, renderJson, renderYaml } from '../format/formats.js';
import { renderTable } from '../format/table.js';

export async function run(args: { format?: string }, ctx: CliContext): Promise<number> {
  const format = parseFormat(args.format);
  const { images } = await ctx.withDaemon((client) => client.cachedImages());
  if (format === 'json') ctx.stdout.write(renderJson({ images }));
  else if (format === 'yaml') ctx.stdout.write(await renderYaml({ images }));
  else if (format === 'csv') {
    ctx.stdout.write(
      renderCsv(
        ['Id', 'Image', 'Size', 'Fetched', 'Last used', 'Used by'],
        images.map((i) => [
          i.id,
          describe(i),
          String(i.size_bytes),
          i.fetched_at,
          i.last_used,
          i.used_by.join(';'),
        ]),
      ),
    );
  } else if (images.length === 0) ctx.stderr.write('No cached images.\n');
  else {
    const now = Date.now();
    ctx.stdout.write(
      renderTable(
        ['Id', 'Image', 'Size', 'Age', 'Used by'],
        images.map((i) => [
          i.id.slice(0, 12),
          describe(i),
          humanBytes(i.size_bytes),
          ageText(now - Date.parse(i.fetched_at)),
          i.used_by.join(',') || '--',
        ]),
      ),
    );
  }
  return 0;
}

function describe(image: CachedImageJson): string {
  const source = image.source as {
    kind: string;
    remote?: string;
    aliases?: string[];
    releaseTitle?: string;
    version?: string;
    url?: string;
    path?: string;
  };
  switch (source.kind) {
    case 'catalog':
      return `${source.remote}:${source.aliases?.[0] ?? source.releaseTitle} ${source.version}`;
    case 'url':
      return source.url ?? 'url';
    case 'file':
      return source.path ?? 'file';
    default:
      return 'unknown origin';
  }
}
