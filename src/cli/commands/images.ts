/**
 * @module `skiff images`: the image cache (new in skiff): what, size, age, used by which instances.
 */
import type { CachedImageJson } from '../../api/contract.js';
import { ageText } from '../../core/age.js';
import { humanBytes } from '../format/bytes.js';
import { parseFormat } from '../format/formats.js';
import { render, type Renderers } from '../format/render.js';
import { defineVerb, formatOption } from '../verb.js';

export const verb = defineVerb({
  name: 'images',
  description: 'List the image cache: size, age, and the instances using each image',
  options: { format: formatOption },
  async run(args, ctx) {
    const format = parseFormat(args.format);
    const { images } = await ctx.withDaemon((client) => client.cachedImages());
    const out = await render(format, { images }, renderers(Date.now()));
    ctx[out.stream].write(out.text);
    return 0;
  },
});

const renderers = (now: number): Renderers<{ images: CachedImageJson[] }> => ({
  csv: ({ images }) => ({
    headers: ['Id', 'Image', 'Size', 'Fetched', 'Last used', 'Used by'],
    rows: images.map((i) => [
      i.id,
      describe(i),
      String(i.size_bytes),
      i.fetched_at,
      i.last_used,
      i.used_by.join(';'),
    ]),
  }),
  table: ({ images }) =>
    images.length === 0
      ? { note: 'No cached images.' }
      : {
          headers: ['Id', 'Image', 'Size', 'Age', 'Used by'],
          rows: images.map((i) => [
            i.id.slice(0, 12),
            describe(i),
            humanBytes(i.size_bytes),
            ageText(now - Date.parse(i.fetched_at)),
            i.used_by.join(',') || '--',
          ]),
        },
});

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
