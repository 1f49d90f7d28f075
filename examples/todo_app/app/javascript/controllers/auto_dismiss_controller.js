import { Controller } from "@hotwired/stimulus"

// Connects to data-controller="auto-dismiss"
// Removes a flash message after `delay` milliseconds, or when its close button
// is pressed (click->auto-dismiss#dismiss).
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
    this.element.remove()
  }
}
