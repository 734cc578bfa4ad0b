// "Every time" only for triggers that can happen again on a conversation (the list is
// declared once, engine/definitions.py REPEATABLE_TRIGGERS, and written on #builder-preview).
document.addEventListener("DOMContentLoaded", () => {
  const preview = document.getElementById("builder-preview");
  const form = document.getElementById("workflow-editor");
  if (!preview || !form) return;
  const repeatable = new Set((preview.dataset.repeatableTriggers || "").split(" "));
  const trigger = form.querySelector("[name=trigger]");
  const frequency = form.querySelector("[name=frequency]");
  if (!trigger || !frequency) return;
  const everyTime = frequency.querySelector("option[value=every_time]");
  function offer() {
    const can = repeatable.has(trigger.value);
    everyTime.hidden = !can;
    everyTime.disabled = !can;
    if (!can && frequency.value === "every_time") {
      frequency.value = "once";
      frequency.dispatchEvent(new Event("change", { bubbles: true }));
    }
  }
  trigger.addEventListener("change", offer);
  offer();
});
