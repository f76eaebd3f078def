/**
 * The web console (issue 14), served by the worker at /console/. Signed out it shows the sign-in
 * form; signed in, upload, the grid and the URL builder. Everything talks to the same origin's
 * /api/v1 and /img: no CDN, no third-party script, no inline script (CSP in edge/console/_headers).
 */
import { Api } from './api.js';
import { Builder } from './builder.js';
import { byId } from './dom.js';
import { Grid } from './grid.js';
import { type Session, SessionStore } from './session.js';
import { Uploader } from './upload.js';

const sessions = new SessionStore();
const api = new Api(
  () => sessions.token(),
  () => sessions.signOut('The API no longer accepts this session: sign in again.'),
);
const announce = (text: string) => {
  byId('announcer').textContent = text;
};
const grid = new Grid(api, (record) => builder.open(record));
const builder = new Builder(api, (id) => {
  grid.remove(id);
  announce(`Image ${id} deleted.`);
  byId('grid-heading').focus();
});
new Uploader(api, (record, created) => {
  grid.prepend(record);
  if (created) announce(`Uploaded image ${record.id}.`);
});

const signInForm = byId<HTMLFormElement>('sign-in');
const signInError = byId('sign-in-error');

signInForm.addEventListener('submit', async (event) => {
  event.preventDefault();
  const idInput = byId<HTMLInputElement>('client-id');
  const secretInput = byId<HTMLInputElement>('client-secret');
  const clientId = idInput.value.trim();
  const secret = secretInput.value;
  // The secret leaves the page's state at once: it is sent once and never kept.
  secretInput.value = '';
  signInError.textContent = '';
  const submit = byId<HTMLButtonElement>('sign-in-submit');
  submit.disabled = true;
  try {
    await sessions.signIn(clientId, secret);
  } catch (err) {
    signInError.textContent = `Sign-in refused: ${(err as Error).message}`;
    secretInput.focus();
  } finally {
    submit.disabled = false;
  }
});

byId('sign-out').addEventListener('click', () => sessions.signOut());

function render(session: Session | undefined, reason?: string): void {
  byId('signed-out').hidden = session !== undefined;
  byId('signed-in').hidden = session === undefined;
  byId('session-bar').hidden = session === undefined;
  if (session) {
    const until = new Date(session.expiresAt).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
    byId('session-who').textContent = `Signed in as ${session.subject} until ${until}`;
    void grid.reset();
    byId('upload-input').focus();
  } else {
    const dialog = byId<HTMLDialogElement>('builder');
    if (dialog.open) dialog.close();
    byId('upload-list').replaceChildren();
    if (reason) signInError.textContent = reason;
    byId('client-id').focus();
  }
}

sessions.onChange(render);
render(sessions.session);
