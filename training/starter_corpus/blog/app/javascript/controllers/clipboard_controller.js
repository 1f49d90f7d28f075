import { Controller } from "@hotwired/stimulus"

// Connects to data-controller="clipboard"
// The field stays selectable without JS; the button only appears when
// the Clipboard API is available.
export default class extends Controller {
  static targets = ["source", "button"]
  static values = { successDuration: { type: Number, default: 2000 } }
  static classes = ["supported"]

  connect() {
    if (!navigator.clipboard) return

    this.buttonTarget.hidden = false
    if (this.hasSupportedClass) this.element.classList.add(this.supportedClass)
    this.originalLabel = this.buttonTarget.textContent
  }

  disconnect() {
    clearTimeout(this.resetTimer)
  }

  async copy(event) {
    event.preventDefault()

    try {
      await navigator.clipboard.writeText(this.sourceTarget.value)
      this.buttonTarget.textContent = "Copied!"
    } catch {
      this.sourceTarget.select()
      this.buttonTarget.textContent = "Press Ctrl+C to copy"
    }

    clearTimeout(this.resetTimer)
    this.resetTimer = setTimeout(() => {
      this.buttonTarget.textContent = this.originalLabel
    }, this.successDurationValue)
  }
}
