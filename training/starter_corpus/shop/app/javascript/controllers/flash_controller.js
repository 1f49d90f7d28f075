import { Controller } from "@hotwired/stimulus"

// Connects to data-controller="flash"
export default class extends Controller {
  static values = { delay: { type: Number, default: 5000 } }

  connect() {
    this.timeout = setTimeout(() => this.dismiss(), this.delayValue)
  }

  disconnect() {
    clearTimeout(this.timeout)
  }

  dismiss() {
    clearTimeout(this.timeout)
    this.element.classList.add("flash--leaving")
    this.element.addEventListener("transitionend", () => this.element.remove(), { once: true })

    // Fallback when there is no CSS transition to wait for.
    setTimeout(() => this.element.remove(), 400)
  }

  pause() {
    clearTimeout(this.timeout)
  }
}
