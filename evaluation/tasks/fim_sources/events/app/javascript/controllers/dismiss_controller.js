import { Controller } from "@hotwired/stimulus"

// Removes a flash message after a delay, or at once when its close button is pressed.
export default class extends Controller {
  static values = { after: { type: Number, default: 5000 } }

  connect() {
    this.timeout = setTimeout(() => this.dismiss(), this.afterValue)
  }

  disconnect() {
    clearTimeout(this.timeout)
  }

  dismiss() {
    this.element.remove()
  }
}
