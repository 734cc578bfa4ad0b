// The editor: each step shows its own fields and the trigger its own options; structural
// edits (add, remove, move) redraw only their part through htmx (the buttons carry
// hx-post; without JavaScript they post the whole form); the focus goes where the edit
// left it; leaving with unsaved edits asks first.
document.addEventListener("DOMContentLoaded", () => {
  const form = document.getElementById("workflow-editor");
  if (!form) return;
  const stepFields = JSON.parse(document.getElementById("step-fields").textContent);
  const withPaths = new Set(JSON.parse(document.getElementById("path-step-types").textContent));
  const fragmentUrl = form.dataset.fragmentUrl;
  let unsaved = false;
  let saving = false;

  function showStepFields(step) {
    const select = step.querySelector(":scope > .step-head select");
    const wanted = new Set(stepFields[select.value] || []);
    step.querySelectorAll(":scope > .row > [data-field]").forEach((label) => {
      label.classList.toggle("hidden", !wanted.has(label.dataset.field));
    });
  }

  function setUpSteps(root) {
    const steps = root.matches && root.matches("[data-step]") ? [root] : [];
    steps.push(...root.querySelectorAll("[data-step]"));
    steps.forEach((step) => {
      if (step.dataset.ready) return;
      step.dataset.ready = "yes";
      showStepFields(step);
      const select = step.querySelector(":scope > .step-head select");
      let before = select.value;
      select.addEventListener("change", () => {
        showStepFields(step);
        if (withPaths.has(before) !== withPaths.has(select.value)) {
          // The step gains or loses its branches, entries or buttons: redraw its list.
          const list = step.closest("[data-steps]");
          htmx.ajax("POST", fragmentUrl, {
            source: select,
            target: `#frag-${list.dataset.steps}`,
            swap: "outerHTML",
            values: { action: `refresh:${select.name}`, fragment: list.dataset.steps },
          });
        }
        before = select.value;
      });
    });
  }

  const trigger = form.querySelector("[name=trigger]");
  // Each option field lists the triggers that have it (engine/definitions.TRIGGER_OPTIONS).
  function showTriggerOptions() {
    const value = trigger.value;
    form.querySelectorAll("[data-trigger-field] [data-triggers]").forEach((field) => {
      const shown = field.dataset.triggers.split(" ").includes(value);
      field.closest("[data-trigger-field]").classList.toggle("hidden", !shown);
    });
  }
  trigger.addEventListener("change", showTriggerOptions);
  showTriggerOptions();
  setUpSteps(form);

  // A 400 from the fragment endpoint carries words for the page (its counts were
  // changed, or the part is gone): show them instead of swapping nothing.
  document.body.addEventListener("htmx:beforeSwap", (event) => {
    if (event.detail.xhr.status === 400) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });
  // Counts finished redraws of the form's parts (the browser tests wait on it); the
  // outline and diagram beside the form redraw on their own and do not count.
  document.body.addEventListener("htmx:afterSettle", (event) => {
    const target = event.detail.target || event.detail.elt;
    if (target && target.closest && target.closest("#builder-preview")) return;
    form.dataset.redraws = String(Number(form.dataset.redraws || 0) + 1);
  });
  document.body.addEventListener("htmx:afterSwap", (event) => {
    const messages = document.getElementById("builder-messages");
    if (event.detail.target !== messages) messages.replaceChildren();
    setUpSteps(event.detail.target.isConnected ? event.detail.target : form);
    unsaved = true;
    const selector = event.detail.xhr.getResponseHeader("X-Builder-Focus");
    const found = selector ? form.querySelector(selector) : null;
    if (!found) return;
    const focusable = found.matches("input:not([type=hidden]), select, textarea, button")
      ? found
      : found.querySelector("input:not([type=hidden]), select, textarea, button");
    if (focusable) {
      // Keep the page where it is; bring the field into view only if it is outside.
      focusable.focus({ preventScroll: true });
      focusable.scrollIntoView({ block: "nearest" });
    }
  });

  // A placeholder menu inserts its placeholder at the cursor of the field it sits beside
  // (the field keeps its selection while the menu has the focus), then gives the focus
  // back after the inserted text.
  form.addEventListener("click", (event) => {
    const choice = event.target.closest("[data-placeholder-menu] [data-insert]");
    if (!choice) return;
    const menu = choice.closest("[data-placeholder-menu]");
    const field = menu.parentElement.querySelector("textarea, input[type=text], input:not([type])");
    if (!field) return;
    const start = field.selectionStart ?? field.value.length;
    const end = field.selectionEnd ?? start;
    field.setRangeText(choice.dataset.insert, start, end, "end");
    field.dispatchEvent(new Event("input", { bubbles: true }));
    menu.open = false;
    field.focus();
  });

  // Enter in a one-line field would post the whole form (a page load): it does nothing
  // here; the "Update form" button is for browsers without JavaScript.
  form.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && event.target.matches("input:not([type=submit]):not([type=button])")) {
      event.preventDefault();
    }
  });
  form.querySelectorAll("button[value=refresh]").forEach((button) => button.classList.add("hidden"));
  form.addEventListener("input", () => { unsaved = true; });
  form.addEventListener("change", () => { unsaved = true; });
  form.addEventListener("submit", () => { saving = true; });
  window.addEventListener("beforeunload", (event) => {
    if (unsaved && !saving) {
      event.preventDefault();
      event.returnValue = "";
    }
  });

  // The error summary's links put the focus in the field they name.
  document.querySelectorAll("[data-focus-target]").forEach((link) => {
    link.addEventListener("click", (event) => {
      const target = document.getElementById(link.dataset.focusTarget);
      if (!target) return;
      event.preventDefault();
      target.scrollIntoView({ block: "center" });
      const focusable = target.matches("input, select, textarea, button")
        ? target : target.querySelector("input:not([type=hidden]), select, textarea, button");
      (focusable || target).focus({ preventScroll: true });
    });
  });
  const summary = document.getElementById("error-summary");
  if (summary) summary.focus();
});
