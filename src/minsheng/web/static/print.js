// Print buttons (`data-print`): the page's CSP allows no inline handlers, so they are wired here.
document.addEventListener("click", (event) => {
  const button = event.target instanceof Element ? event.target.closest("[data-print]") : null;
  if (button) {
    window.print();
  }
});
