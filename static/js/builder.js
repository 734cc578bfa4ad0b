// Show each step's own fields, and the trigger's own options; reload the form when a
// step becomes (or stops being) one with paths, so its branches or buttons appear.
document.addEventListener("DOMContentLoaded", () => {
  const form = document.getElementById("workflow-editor");
  if (!form) return;
  const stepFields = JSON.parse(document.getElementById("step-fields").textContent);
  const withPaths = new Set(JSON.parse(document.getElementById("path-step-types").textContent));

  function showStepFields(step) {
    const select = step.querySelector(":scope > .step-head select");
    const wanted = new Set(stepFields[select.value] || []);
    step.querySelectorAll(":scope > .row > [data-field]").forEach((label) => {
      label.classList.toggle("hidden", !wanted.has(label.dataset.field));
    });
  }

  document.querySelectorAll("[data-step]").forEach((step) => {
    showStepFields(step);
    const select = step.querySelector(":scope > .step-head select");
    const before = select.value;
    select.addEventListener("change", () => {
      showStepFields(step);
      if (withPaths.has(before) !== withPaths.has(select.value)) {
        const refresh = document.createElement("input");
        refresh.type = "hidden"; refresh.name = "action"; refresh.value = "refresh";
        form.appendChild(refresh);
        form.submit();
      }
    });
  });

  const trigger = form.querySelector("[name=trigger]");
  function showTriggerOptions() {
    const value = trigger.value;
    form.querySelector("[data-trigger-field=trigger_state]").classList.toggle("hidden", value !== "teammate_changed_state");
    form.querySelector("[data-trigger-field=trigger_after]").classList.toggle(
      "hidden", !["customer_unresponsive", "teammate_unresponsive"].includes(value));
  }
  trigger.addEventListener("change", showTriggerOptions);
  showTriggerOptions();
  form.querySelectorAll("[name$='-attribute']").forEach((input) => input.setAttribute("list", "attributes"));
});
