// @ts-check
// A step of the journey drawn from the journey model (/domain-labels.js): its title, help, fields by kind, submit
// label, tone and confirmation; the request body built from the fields and sent where the API's `availableSteps`
// says. The pages decide which steps to draw (the ones the API offers) and add only presentation (dates, counts).

import { ApiError, api } from './api.js';
import { cardFields, journeyModel } from './domain-labels.js';
import { field, h, stepForm, textarea, uid } from './ui.js';

/** @typedef {import('./api.js').Schemas['AvailableStep']} AvailableStep */
/** @typedef {(typeof journeyModel.comuneSteps)[number] | (typeof journeyModel.serviceSteps)[number]} StepDefinition */
/** @typedef {StepDefinition['fields'][number]} StepField */
/** @typedef {import('./ui.js').Child} Child */
/**
 * A field the page draws itself (the card editor): its controls and how its value is read at submission.
 * @typedef {{ node: Node, value: (data: FormData) => unknown }} CustomField
 */

/** @type {ReadonlyMap<string, StepDefinition>} */
const definitions = new Map(
  [...journeyModel.comuneSteps, ...journeyModel.serviceSteps].map((step) => [step.id, step]),
);

/**
 * The model's definition of a step the API offered; undefined for a step this console does not know yet.
 * @param {string} id
 */
export const stepDefinition = (id) => definitions.get(id);

/**
 * The offered steps for a role of the model (`staff`: the clerks' steps, `manager`: the managers' decisions).
 * @param {readonly AvailableStep[]} available
 * @param {StepDefinition['role']} role
 */
export function stepsOfRole(available, role) {
  return available.filter((a) => stepDefinition(a.id)?.role === role);
}

/**
 * @param {StepField} f
 * @param {unknown} value Initial value.
 */
function choiceField(f, value) {
  const options = f.options ?? [];
  return h(
    'fieldset',
    { class: 'choices' },
    h(
      'legend',
      null,
      f.label,
      f.required ? h('span', { class: 'required', 'aria-hidden': 'true' }, ' *') : null,
    ),
    options.map((o) =>
      h(
        'label',
        { class: 'choice' },
        h('input', {
          type: 'radio',
          name: f.name,
          value: o.value,
          required: f.required,
          checked: value !== undefined && String(value) === o.value,
        }),
        h('span', null, h('strong', null, o.label), o.detail ? ` — ${o.detail}` : null),
      ),
    ),
  );
}

/**
 * One field of a step, by its kind.
 * @param {StepField} f
 * @param {unknown} value
 * @param {CustomField | undefined} custom
 */
function stepField(f, value, custom) {
  switch (f.kind) {
    case 'choice':
      return choiceField(f, value);
    case 'textarea':
      return field({
        label: f.label,
        name: f.name,
        required: f.required,
        hint: f.hint,
        wide: true,
        control: textarea(f.name, value === undefined ? '' : String(value), {
          required: f.required,
          minlength: f.minLength,
          maxlength: f.maxLength,
          rows: (f.maxLength ?? 0) > 500 ? 3 : 2,
        }),
      });
    case 'secret':
      // A password field: never shown back, never kept in drafts, never offered by the browser's autofill.
      return field({
        label: f.label,
        name: f.name,
        type: 'password',
        required: f.required,
        hint: f.hint,
        maxlength: f.maxLength,
        autocomplete: 'off',
        spellcheck: false,
      });
    case 'text':
      return field({
        label: f.label,
        name: f.name,
        required: f.required,
        hint: f.hint,
        maxlength: f.maxLength,
        value: value === undefined ? '' : String(value),
      });
    case 'date':
      return field({
        label: f.label,
        name: f.name,
        type: 'date',
        required: f.required,
        hint: f.hint,
        value: value === undefined ? '' : String(value),
      });
    case 'file':
      return field({
        label: f.label,
        name: f.name,
        type: 'file',
        accept: f.accept,
        required: f.required,
        hint: f.hint,
      });
    case 'confirm':
      return h(
        'label',
        { class: 'choice choice-confirm' },
        h('input', { type: 'checkbox', name: f.name, value: 'yes', required: f.required }),
        h('span', null, f.label),
      );
    case 'card':
      return custom ? custom.node : null;
  }
}

/**
 * The JSON body of a step from its form: choices (`valueType: 'boolean'` as booleans), dates as YYYY-MM-DD, texts
 * trimmed, custom fields (the card) as the page reads them; confirmations and empty optional fields left out.
 * @param {StepDefinition} step
 * @param {FormData} data
 * @param {Record<string, CustomField>} custom
 */
async function jsonBody(step, data, custom) {
  /** @type {Record<string, unknown>} */
  const body = {};
  for (const f of step.fields) {
    if (f.kind === 'confirm' || f.kind === 'file') continue;
    const own = custom[f.name] ?? custom[f.kind];
    if (own) {
      body[f.name] = await own.value(data);
      continue;
    }
    const raw = data.get(f.name);
    const text = typeof raw === 'string' ? raw.trim() : '';
    if (text === '') continue;
    body[f.name] = f.kind === 'choice' && f.valueType === 'boolean' ? text === 'true' : text;
  }
  return body;
}

/**
 * The multipart body of a step that uploads a file: the file as it is, the other fields as trimmed text.
 * @param {StepDefinition} step
 * @param {FormData} data
 */
function multipartBody(step, data) {
  const body = new FormData();
  for (const f of step.fields) {
    if (f.kind === 'confirm') continue;
    const raw = data.get(f.name);
    if (f.kind === 'file') {
      if (raw instanceof File && raw.size > 0) body.append(f.name, raw);
      continue;
    }
    const text = typeof raw === 'string' ? raw.trim() : '';
    if (text !== '') body.append(f.name, text);
  }
  return body;
}

/**
 * The field a problem names (`body.reason`, `body.card.service_name`) as the form labels it.
 * @param {StepDefinition} step
 * @param {string} name
 */
function fieldLabel(step, name) {
  const path = name.replace(/^body\./, '');
  const card = /^card\.(\w+)/.exec(path);
  if (card) {
    const f = cardFields.find((c) => c.name === card[1]);
    return f ? `Scheda · ${f.label}` : undefined;
  }
  return step.fields.find((f) => f.name === path)?.label;
}

/**
 * Removes the messages a previous failed submission put beside the fields.
 * @param {HTMLFormElement} form
 */
function clearFieldErrors(form) {
  for (const p of form.querySelectorAll('p.field-error')) p.remove();
  for (const el of form.querySelectorAll('[aria-invalid="true"]')) {
    el.removeAttribute('aria-invalid');
    const described = (el.getAttribute('aria-describedby') ?? '')
      .split(' ')
      .filter((id) => id && !id.endsWith('-error'))
      .join(' ');
    if (described) el.setAttribute('aria-describedby', described);
    else el.removeAttribute('aria-describedby');
  }
}

/**
 * Puts each message of the API's problem beside the field it names (`body.primaryKey`), marks the field invalid and
 * describes it by the message, so a screen reader reads it with the field.
 * @param {HTMLFormElement} form
 * @param {StepDefinition} step
 * @param {unknown} error
 */
function markFieldErrors(form, step, error) {
  if (!(error instanceof ApiError) || !Array.isArray(error.problem.errors)) return;
  for (const e of error.problem.errors) {
    const name = String(e.field).replace(/^body\./, '');
    if (!step.fields.some((f) => f.name === name)) continue;
    const input = form.querySelector(`[name="${CSS.escape(name)}"]`);
    if (!(input instanceof HTMLElement) || input.getAttribute('aria-invalid') === 'true') continue;
    const id = `${input.id || name}-error`;
    input.setAttribute('aria-invalid', 'true');
    input.setAttribute('aria-describedby', `${input.getAttribute('aria-describedby') ?? ''} ${id}`.trim());
    const message = h('p', { class: 'field-error', id }, e.message);
    (input.closest('.field') ?? input).append(message);
  }
}

/**
 * The API's problem with the fields named as the form labels them, so the person finds them.
 * @param {StepDefinition} step
 * @param {unknown} error
 */
function withFieldLabels(step, error) {
  if (!(error instanceof ApiError) || !Array.isArray(error.problem.errors)) return error;
  const errors = error.problem.errors;
  const joined = errors.map((e) => `${e.field}: ${e.message}`).join('; ');
  const renamed = errors.map((e) => ({ ...e, field: fieldLabel(step, e.field) ?? e.field }));
  return new ApiError(error.status, {
    ...error.problem,
    errors: renamed,
    // The detail that only repeats the list is repeated with the labels (the box then shows the list once).
    detail:
      error.problem.detail === joined
        ? renamed.map((e) => `${e.field}: ${e.message}`).join('; ')
        : error.problem.detail,
  });
}

/**
 * The form of a step the API offers, drawn from the model. A step with `confirm` asks for it inside the form: the
 * submit button opens the question with «Conferma» and «Annulla», and only «Conferma» sends the step.
 * @param {object} options
 * @param {AvailableStep} options.available The step as the API offered it: its id, method and path.
 * @param {Child} [options.context] Presentation added after the model's help (dates, counts).
 * @param {Record<string, unknown>} [options.values] Initial values by field name.
 * @param {Record<string, CustomField>} [options.custom] Fields the page draws, by field name or kind (`card`).
 * @param {(message: string, result: unknown) => void} [options.onDone] After success (the page refreshes and
 *   shows the message); without it the form shows the message itself.
 * @param {'h2' | 'h3' | 'h4'} [options.headingLevel]
 * @returns {HTMLFormElement | null} Null for a step this console does not know.
 */
export function modelStepForm({ available, context, values = {}, custom = {}, onDone, headingLevel }) {
  const step = stepDefinition(available.id);
  if (!step) return null;
  const needsConfirm = step.confirm;
  let confirmed = false;
  const questionId = uid('confirm');
  const confirmButton = h(
    'button',
    {
      type: 'submit',
      class: step.tone === 'danger' ? 'btn btn-danger' : 'btn btn-primary',
      onclick: () => {
        confirmed = true;
      },
    },
    'Conferma',
  );
  const confirmBox = needsConfirm
    ? h(
        'div',
        { class: 'step-confirm', role: 'group', 'aria-labelledby': questionId, hidden: true },
        h('p', { id: questionId, class: 'step-confirm-question' }, needsConfirm),
        h(
          'div',
          { class: 'form-actions' },
          confirmButton,
          h(
            'button',
            { type: 'button', class: 'btn btn-ghost', onclick: () => closeConfirm(true) },
            'Annulla',
          ),
        ),
      )
    : null;

  const form = stepForm({
    id: `step-${step.id}`,
    title: step.label,
    description: context ? [step.help, h('span', { class: 'step-context' }, context)] : step.help,
    headingLevel,
    tone: step.tone,
    submitLabel: step.submitLabel,
    body: [
      step.fields.map((f) => stepField(f, values[f.name], custom[f.name] ?? custom[f.kind])),
      confirmBox,
    ],
    onSubmit: async (data, key) => {
      if (confirmBox && !confirmed) {
        openConfirm();
        return undefined;
      }
      confirmButton.disabled = true;
      clearFieldErrors(form);
      try {
        const method = available.method.toUpperCase();
        const result = step.api.multipart
          ? await api(available.path, { method, form: multipartBody(step, data), idempotencyKey: key })
          : await api(available.path, {
              method,
              body: await jsonBody(step, data, custom),
              idempotencyKey: key,
            });
        closeConfirm(false);
        if (onDone) {
          onDone(step.success, result);
          return undefined;
        }
        return step.success;
      } catch (error) {
        markFieldErrors(form, step, error);
        throw withFieldLabels(step, error);
      } finally {
        confirmed = false;
        confirmButton.disabled = false;
      }
    },
  });
  const actions = /** @type {HTMLElement} */ (form.querySelector(':scope > .form-actions'));

  function openConfirm() {
    if (!confirmBox) return;
    confirmBox.hidden = false;
    actions.hidden = true;
    confirmButton.focus();
  }
  /** @param {boolean} focusBack */
  function closeConfirm(focusBack) {
    if (!confirmBox || confirmBox.hidden) return;
    confirmBox.hidden = true;
    actions.hidden = false;
    confirmed = false;
    if (focusBack) /** @type {HTMLElement | null} */ (actions.querySelector('button'))?.focus();
  }
  // A change after the question was asked asks it again.
  form.addEventListener('input', () => closeConfirm(false));
  return form;
}
