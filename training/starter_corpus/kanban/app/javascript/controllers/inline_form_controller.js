import { Controller } from "@hotwired/stimulus"

// Connects to data-controller="inline-form"
// Small forms that replace content inside a Turbo Frame: focus the first
// field when they appear, Enter saves, Escape behaves like "Cancel".
export default class extends Controller {
  static targets = ["autofocus", "cancel"]

  autofocusTargetConnected(field) {
    field.focus()
    if (typeof field.setSelectionRange === "function") {
      field.setSelectionRange(field.value.length, field.value.length)
    }
  }

  submit(event) {
    if (event.shiftKey || event.isComposing) return

    event.preventDefault()
    this.element.requestSubmit()
  }

  cancel(event) {
    if (!this.hasCancelTarget) return

    event.preventDefault()
    // Following the link keeps the frame navigation (and browser history) consistent.
    this.cancelTarget.click()
  }
}
