/**
 * Upload: files picked or dropped go up one request each (multipart `file`, so the origin sniffs
 * the bytes whatever type the browser guessed), with a progress bar of the bytes sent and the
 * outcome beside each: created (201), already there (200), or the problem's reason.
 */
import { API_PREFIX, type Api, describeProblem, type ImageRecord, parseProblem } from './api.js';
import { byId, formatBytes, h, uid } from './dom.js';

export type UploadOutcome =
  | { kind: 'created' | 'existing'; record: ImageRecord }
  | { kind: 'refused'; reason: string };

/** POST one file with XMLHttpRequest: fetch cannot report upload progress. */
export function sendFile(
  api: Api,
  file: File,
  onProgress: (sent: number, total: number) => void,
): Promise<UploadOutcome> {
  return new Promise((resolve) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', `${API_PREFIX}/images`);
    const token = api.bearer();
    if (token) xhr.setRequestHeader('authorization', `Bearer ${token}`);
    xhr.upload.addEventListener('progress', (e) => {
      if (e.lengthComputable) onProgress(e.loaded, e.total);
    });
    xhr.addEventListener('load', () => {
      if (xhr.status === 401) api.unauthorized();
      if (xhr.status === 200 || xhr.status === 201) {
        const record = JSON.parse(xhr.responseText) as ImageRecord;
        resolve({ kind: xhr.status === 201 ? 'created' : 'existing', record });
        return;
      }
      resolve({
        kind: 'refused',
        reason: describeProblem(xhr.status, parseProblem(xhr.status, xhr.responseText)),
      });
    });
    xhr.addEventListener('error', () =>
      resolve({ kind: 'refused', reason: 'The connection failed before the server answered' }),
    );
    const form = new FormData();
    form.append('file', file, file.name);
    xhr.send(form);
  });
}

export class Uploader {
  private readonly list = byId<HTMLUListElement>('upload-list');

  constructor(
    private readonly api: Api,
    private readonly onUploaded: (record: ImageRecord, created: boolean) => void,
  ) {
    const input = byId<HTMLInputElement>('upload-input');
    const zone = byId('drop-zone');
    input.addEventListener('change', () => {
      if (input.files) void this.uploadAll([...input.files]);
      input.value = '';
    });
    zone.addEventListener('dragover', (e) => {
      e.preventDefault();
      zone.classList.add('dragging');
    });
    zone.addEventListener('dragleave', () => zone.classList.remove('dragging'));
    zone.addEventListener('drop', (e) => {
      e.preventDefault();
      zone.classList.remove('dragging');
      const files = [...(e.dataTransfer?.files ?? [])];
      if (files.length > 0) void this.uploadAll(files);
    });
  }

  /** Every file at once (the browser limits connections per host by itself). */
  async uploadAll(files: File[]): Promise<void> {
    await Promise.all(files.map((file) => this.upload(file)));
  }

  private async upload(file: File): Promise<void> {
    const id = uid('upload');
    const progress = h('progress', { id, max: file.size || 1, value: 0 });
    const sent = h('span', { class: 'upload-bytes' }, `0 of ${formatBytes(file.size)}`);
    const result = h('span', { class: 'upload-result', role: 'status' }, 'sending…');
    const row = h(
      'li',
      { class: 'upload-row' },
      h('label', { for: id, class: 'upload-name' }, file.name),
      progress,
      sent,
      result,
    );
    this.list.prepend(row);
    const outcome = await sendFile(this.api, file, (loaded, total) => {
      progress.max = total;
      progress.value = loaded;
      sent.textContent = `${formatBytes(loaded)} of ${formatBytes(total)}`;
    });
    row.dataset.outcome = outcome.kind;
    if (outcome.kind === 'refused') {
      result.textContent = outcome.reason;
      result.classList.add('refused');
      return;
    }
    progress.value = progress.max;
    result.textContent = outcome.kind === 'created' ? 'created' : 'already there';
    this.onUploaded(outcome.record, outcome.kind === 'created');
  }
}
