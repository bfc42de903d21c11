// Templates: a tenant's named message texts (or media captions) with {{variables}}; create, edit,
// delete. The session page's send form fills them.

import { api, listAll, enc } from './api.js';
import { h, fill, notify, dialog, confirmAction, fmtTime, busy } from './dom.js';

const TYPES = ['text', 'image', 'video', 'document'];

/** The field a template of `type` keeps its source in. */
const sourceField = (type) => (type === 'text' ? 'text' : 'caption');

export function renderTemplates(root) {
  const list = h('div', { id: 'template-list' }, h('p', { class: 'muted' }, 'Loading templates…'));
  const name = h('input', { id: 'tpl-name', required: true, maxlength: '100', autocomplete: 'off', placeholder: 'welcome' });
  const type = h('select', { id: 'tpl-type' }, TYPES.map((t) => h('option', { value: t }, t)));
  const sourceLabel = h('label', { for: 'tpl-source' }, 'Text');
  const source = h('textarea', {
    id: 'tpl-source', required: true, rows: '3', placeholder: 'Hi {{first_name}}, your order {{order|is on its way}}.',
  });
  type.addEventListener('change', () => {
    sourceLabel.textContent = type.value === 'text' ? 'Text' : 'Caption (the send brings the file)';
  });
  const create = h('button', { type: 'submit', class: 'primary' }, 'Create template');
  const form = h('form', { class: 'stack', id: 'create-template' },
    h('h2', {}, 'New template'),
    h('p', { class: 'muted' }, 'Placeholders: ', h('code', {}, '{{first_name}}'), ', with a default: ',
      h('code', {}, '{{first_name|there}}'), '. A send names the template and gives the variables.'),
    h('label', { for: 'tpl-name' }, 'Name'), name,
    h('label', { for: 'tpl-type' }, 'Type'), type,
    sourceLabel, source,
    h('div', { class: 'actions' }, create));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const body = { name: name.value.trim(), type: type.value, [sourceField(type.value)]: source.value };
    const made = await busy(create, () => api('POST', '/templates', { body }));
    if (!made) return;
    name.value = '';
    source.value = '';
    notify(`Template “${made.name}” created.`, 'success');
    load();
  });
  fill(root, h('h1', {}, 'Templates'), h('section', { class: 'card' }, form), list);

  async function load() {
    try {
      const all = await listAll('/templates');
      if (!all.length) {
        fill(list, h('p', { class: 'empty' }, 'No templates yet. Create one above; sends and campaigns fill it per recipient.'));
        return;
      }
      fill(list, all.map(card));
    } catch (e) {
      fill(list, h('p', { class: 'error', role: 'alert' }, e.message));
    }
  }

  function card(t) {
    const edit = h('button', { type: 'button' }, 'Edit');
    edit.addEventListener('click', () => editTemplate(t));
    const remove = h('button', { type: 'button', class: 'danger' }, 'Delete');
    remove.addEventListener('click', async () => {
      if (!(await confirmAction('Delete template', `Delete “${t.name}”? Sends naming it will be refused.`, 'Delete'))) return;
      if (await busy(remove, () => api('DELETE', `/templates/${enc(t.id)}`)) === undefined) return;
      notify(`Template “${t.name}” deleted.`, 'success');
      load();
    });
    return h('article', { class: 'card template', dataset: { template: t.id } },
      h('h2', {}, t.name),
      h('dl', { class: 'facts' },
        h('dt', {}, 'Type'), h('dd', {}, t.type),
        h('dt', {}, 'Variables'), h('dd', {}, t.variables.length
          ? t.variables.map((v) => h('code', { class: 'tag' }, v)) : h('span', { class: 'muted' }, 'none')),
        h('dt', {}, 'Changed'), h('dd', {}, fmtTime(t.updated_at))),
      h('pre', { class: 'template-source' }, t.text ?? t.caption ?? ''),
      h('div', { class: 'actions' }, edit, remove));
  }

  async function editTemplate(t) {
    const field = sourceField(t.type);
    const input = h('textarea', { id: 'tpl-edit-source', rows: '4', required: true }, t[field] || '');
    const body = h('div', { class: 'stack' }, h('label', { for: 'tpl-edit-source' }, field === 'text' ? 'Text' : 'Caption'), input);
    const choice = await dialog(`Edit “${t.name}”`, body, [
      { label: 'Cancel', value: 'cancel' },
      { label: 'Save', value: 'save', kind: 'primary' },
    ]);
    if (choice !== 'save') return;
    const saved = await busy(null, () => api('PATCH', `/templates/${enc(t.id)}`, { body: { [field]: input.value } }));
    if (!saved) return;
    notify(`Template “${saved.name}” saved.`, 'success');
    load();
  }

  load();
  return () => {};
}
