/** The My notes panel: the newest notes, and a form to add one. */
import { NoteDto } from '@gatehouse/client';
import { act } from './actions';
import { client } from './client';
import { element, fieldsOf, make, submitButton } from './dom';

const ui = {
  noteForm: element<HTMLFormElement>('note-form'),
  notesCount: element('notes-count'),
  notes: element('notes'),
};

function renderNotes(items: NoteDto[], total: number): void {
  ui.notesCount.textContent =
    total === 0
      ? 'No notes yet.'
      : `${total} note${total === 1 ? '' : 's'}${total > items.length ? `, the ${items.length} newest shown` : ''}.`;
  ui.notes.replaceChildren(
    ...items.map((note) => {
      const item = make('li');
      item.append(make('strong', note.title));
      if (note.body) item.append(make('p', note.body));
      return item;
    }),
  );
}

export async function loadNotes(): Promise<void> {
  const page = await client.listNotes(20, 0);
  renderNotes(page.items, page.total);
}

export function clearNotes(): void {
  ui.notes.replaceChildren();
  ui.notesCount.textContent = '';
}

export function wireNotes(): void {
  ui.noteForm.addEventListener('submit', (event) => {
    event.preventDefault();
    const { title, body } = fieldsOf(ui.noteForm);
    void act(submitButton(ui.noteForm), async () => {
      await client.createNote({ title, ...(body ? { body } : {}) });
      ui.noteForm.reset();
      await loadNotes();
    });
  });
}
