/**
 * @module For tests: reads back a multipart/mixed user-data document as cloud-init would see its parts (headers,
 * base64 decoded bodies). Only what mime.ts writes: one level of parts; a nested document is returned raw.
 */
export interface ReadPart {
  headers: Record<string, string>;
  body: string;
}

export function readMultipart(text: string): { headers: Record<string, string>; parts: ReadPart[] } {
  const [head = '', rest = ''] = splitHeaders(text);
  const headers = parseHeaders(head);
  const boundary = /boundary="([^"]+)"/.exec(headers['content-type'] ?? '')?.[1];
  if (!boundary) throw new Error('not a multipart document');
  const chunks = rest.split(`--${boundary}`);
  if (!(chunks.at(-1) ?? '').startsWith('--')) throw new Error('no closing boundary');
  const parts = chunks.slice(1, -1).map((chunk) => {
    const [partHead = '', partBody = ''] = splitHeaders(chunk.replace(/^\n/, ''));
    const partHeaders = parseHeaders(partHead);
    const body =
      partHeaders['content-transfer-encoding'] === 'base64'
        ? Buffer.from(partBody.replace(/\s+/g, ''), 'base64').toString('utf8')
        : partBody;
    return { headers: partHeaders, body };
  });
  return { headers, parts };
}

function splitHeaders(text: string): [string, string] {
  const end = text.indexOf('\n\n');
  return end === -1 ? [text, ''] : [text.slice(0, end), text.slice(end + 2)];
}

function parseHeaders(text: string): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const colon = line.indexOf(':');
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  return headers;
}
