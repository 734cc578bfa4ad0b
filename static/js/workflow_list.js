// Drag to reorder a trigger's workflows; the new order is saved at once.
document.addEventListener("DOMContentLoaded", () => {
  const csrf = JSON.parse(document.body.getAttribute("hx-headers"))["X-CSRFToken"];
  document.querySelectorAll("[data-sortable]").forEach((list) => {
    Sortable.create(list, {
      handle: ".handle",
      forceFallback: true,  // mouse events, not HTML5 drag and drop: also on touch screens
      animation: 120,
      onEnd: async () => {
        const order = [...list.querySelectorAll("[data-id]")].map((item) => Number(item.dataset.id));
        const response = await fetch(list.dataset.url, {
          method: "POST",
          headers: { "Content-Type": "application/json", "X-CSRFToken": csrf },
          body: JSON.stringify({ trigger: list.dataset.trigger, order }),
        });
        list.dataset.saved = response.ok ? "yes" : "no";
        if (!response.ok) { window.location.reload(); }
      },
    });
  });
});
