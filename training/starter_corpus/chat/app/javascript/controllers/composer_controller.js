import { Controller } from "@hotwired/stimulus"

// Connects to data-controller="composer"
export default class extends Controller {
  static targets = ["input", "cancel"]
  static values = { maxHeight: { type: Number, default: 200 } }
  static outlets = ["scroll"]

  connect() {
    this.resize()
  }

  submitOnEnter(event) {
    // Shift+Enter inserts a newline; IME composition uses Enter to confirm.
    if (event.shiftKey || event.isComposing) return

    event.preventDefault()
    if (this.inputTarget.value.trim() === "") return

    this.element.requestSubmit()
  }

  // The server only appends the message, so clearing the composer is our job.
  // Jump to the newest message too, even if the log was scrolled up.
  sent(event) {
    if (!event.detail.success) return

    this.element.reset()
    this.resize()
    this.inputTarget.focus()
    if (this.hasScrollOutlet) this.scrollOutlet.scrollToBottom()
  }

  resize() {
    const input = this.inputTarget
    input.style.height = "auto"
    input.style.height = `${Math.min(input.scrollHeight, this.maxHeightValue)}px`
  }

  cancel(event) {
    if (!this.hasCancelTarget) return

    event.preventDefault()
    this.cancelTarget.click()
  }
}
