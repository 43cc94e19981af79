import { tick } from "svelte";

/**
 * After the next render, puts the keyboard on the element `id` (made
 * focusable first when it is not a control): where the step that replaced
 * the last one begins, so the focus never falls to the page. `scroll`: and
 * bring its top into view.
 */
export async function focusWhenShown(id: string, scroll = false): Promise<void> {
  await tick();
  const target = document.getElementById(id);
  if (!target) return;
  if (target.tabIndex < 0) target.tabIndex = -1;
  target.focus();
  if (scroll) target.scrollIntoView({ block: "start" });
}
