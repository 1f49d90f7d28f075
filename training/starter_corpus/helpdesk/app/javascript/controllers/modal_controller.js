import { Controller } from "@hotwired/stimulus"

// Connects to data-controller="modal"
// Uses the native <dialog> element: focus trapping, Escape to close and the
// inert background all come from the browser.
export default class extends Controller {
  static targets = ["dialog"]

  disconnect() {
    if (this.hasDialogTarget && this.dialogTarget.open) this.dialogTarget.close()
  }

  open() {
    this.previouslyFocused = document.activeElement
    this.dialogTarget.showModal()
  }

  close() {
    this.dialogTarget.close()
  }

  // Clicks on the ::backdrop are reported with the dialog itself as target.
  closeOnBackdrop(event) {
    if (event.target === this.dialogTarget) this.close()
  }

  closeAfterSubmit(event) {
    if (event.detail.success) this.close()
  }

  restoreFocus() {
    if (this.previouslyFocused?.isConnected) this.previouslyFocused.focus()
    this.previouslyFocused = null
  }
}
