// Drag to reorder a trigger's workflows; the new order is saved at once. With the
// keyboard: focus a workflow's handle and press the up or down arrow.
document.addEventListener("DOMContentLoaded", () => {
  const csrf = JSON.parse(document.body.getAttribute("hx-headers"))["X-CSRFToken"];
  document.querySelectorAll("[data-sortable]").forEach((list) => {
    const save = async () => {
      const order = [...list.querySelectorAll("[data-id]")].map((item) => Number(item.dataset.id));
      const response = await fetch(list.dataset.url, {
        method: "POST",
        headers: { "Content-Type": "application/json", "X-CSRFToken": csrf },
        body: JSON.stringify({ trigger: list.dataset.trigger, order }),
      });
      list.dataset.saved = response.ok ? "yes" : "no";
      if (!response.ok) { window.location.reload(); }
    };
    Sortable.create(list, {
      handle: ".handle",
      forceFallback: true,  // mouse events, not HTML5 drag and drop: also on touch screens
      animation: 120,
      onEnd: save,
    });
    list.addEventListener("keydown", (event) => {
      const handle = event.target.closest(".handle");
      if (!handle || (event.key !== "ArrowUp" && event.key !== "ArrowDown")) { return; }
      event.preventDefault();
      const item = handle.closest("[data-id]");
      const sibling = event.key === "ArrowUp" ? item.previousElementSibling : item.nextElementSibling;
      if (!sibling) { return; }
      if (event.key === "ArrowUp") { sibling.before(item); } else { sibling.after(item); }
      handle.focus();
      save();
    });
  });
});
