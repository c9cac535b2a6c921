// Forms that post to the JSON API: read the fields as the API expects them, and show the
// API's problem (title, detail, each invalid field) beside the form, keeping what was typed.
// The browser validates nothing itself (novalidate): the API's rules and words are the ones.

import { h } from "./ui.js";

// What was typed, as the API's body: whole numbers as JSON numbers, anything else as typed
// (the API names it), optional fields left out when empty.
export function formBody(form, { numbers = [], optional = [] } = {}) {
  const body = {};
  for (const field of form.querySelectorAll("input[name], select[name]")) {
    const value = field.value.trim();
    if (optional.includes(field.name) && value === "") continue;
    if (numbers.includes(field.name)) {
      body[field.name] = value === "" ? null : /^-?\d+$/.test(value) ? Number(value) : value;
    } else {
      body[field.name] = value;
    }
  }
  return body;
}

export function clearProblem(box, form) {
  box.hidden = true;
  box.querySelector(".problem-title").textContent = "";
  box.querySelector(".problem-detail").textContent = "";
  box.querySelector(".problem-errors").replaceChildren();
  for (const field of form.querySelectorAll("[aria-invalid]")) {
    field.removeAttribute("aria-invalid");
    field.removeAttribute("aria-describedby");
  }
}

export function showProblem(box, form, err) {
  const problem = (err && err.problem) || {};
  box.querySelector(".problem-title").textContent = problem.title || "Could not send";
  box.querySelector(".problem-detail").textContent = problem.detail || (err && err.message) || "";
  const errors = Array.isArray(problem.errors) ? problem.errors : [];
  box.querySelector(".problem-errors").replaceChildren(...errors.map((e) =>
    h("li", { "data-field": e.field }, `${e.field}: ${e.message}`)));
  for (const e of errors) {
    const field = form.querySelector(`[name="${CSS.escape(String(e.field).split(".")[0])}"]`);
    if (field) {
      field.setAttribute("aria-invalid", "true");
      field.setAttribute("aria-describedby", box.id);
    }
  }
  box.dataset.code = problem.code || "";
  box.hidden = false;
}

// Send a form's body; show the problem when the API refuses it. Returns the answer or null.
export async function send(form, box, call) {
  const button = form.querySelector("button[type=submit]");
  clearProblem(box, form);
  button.disabled = true;
  try {
    return await call();
  } catch (err) {
    showProblem(box, form, err);
    return null;
  } finally {
    button.disabled = false;
  }
}

// Copy text to the clipboard (the input is selected as a fallback for a manual copy).
export async function copyText(text, input) {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    if (input) input.select();
    return false;
  }
}
